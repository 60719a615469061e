"""Which images a classifier gets right, and where it goes wrong: correctness, confusion matrices, most confused pairs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .heads import correct_of_logits


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


def correct_predictions(model: Any, data: Any, labels: Sequence[int] | np.ndarray, batch_size: int = 64) -> np.ndarray:
    """One True/False per example: does ``model`` (logits, inference mode) get it right?

    ``data`` is what ``model.predict`` takes (an array, or a dataset in a fixed order that yields
    the examples of ``labels`` in the same order).  The result feeds
    :func:`course_utils.uncertainty.accuracy_interval` and :func:`course_utils.uncertainty.compare`.
    """
    logits = model.predict(data, batch_size=None if hasattr(data, "element_spec") else batch_size, verbose=0)
    labels = np.asarray(labels).reshape(-1)
    if len(logits) != len(labels):
        raise ValueError(
            f"the model made {len(logits)} predictions for {len(labels)} labels: pass the data and the labels "
            "of the same examples, in the same order (a dataset that reshuffles on every pass cannot be paired)."
        )
    return correct_of_logits(logits, labels)
