"""Where a classifier goes wrong: confusion matrices and the pairs it confuses most."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """``matrix[t, p]`` counts the images of true class ``t`` predicted as ``p``."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        raise ValueError(
            f"predictions have shape {y_pred.shape} (scores per class): pass class numbers, "
            "predictions.argmax(axis=-1)."
        )
    for name, values in (("labels", y_true), ("predictions", y_pred)):
        if values.size and not np.array_equal(values, np.round(values)):
            raise ValueError(
                f"{name} must be class numbers 0..{n_classes - 1}, got fractions such as "
                f"{values.ravel()[0]!r}: for scores, pass scores.argmax(axis=-1)."
            )
    y_true, y_pred = y_true.astype(int).ravel(), y_pred.astype(int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions: pass one prediction per image.")
    if len(y_true) and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ValueError(
            f"labels and predictions must lie in 0..{n_classes - 1}; check n_classes "
            "(it is len(class_names)) and that labels were not shifted."
        )
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def most_confused(matrix: np.ndarray, class_names: Sequence[str], k: int = 3) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal counts as ``(true class, predicted class, count)``, largest first."""
    pairs = [
        (int(matrix[t, p]), t, p) for t in range(len(matrix)) for p in range(len(matrix)) if t != p and matrix[t, p] > 0
    ]
    pairs.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [(class_names[t], class_names[p], count) for count, t, p in pairs[:k]]
