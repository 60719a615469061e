"""Where a classifier goes wrong: confusion matrices and the pairs it confuses most."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_classes: int) -> np.ndarray:
    """``matrix[t, p]`` counts the images of true class ``t`` predicted as ``p``."""
    y_true, y_pred = np.asarray(y_true, dtype=int).ravel(), np.asarray(y_pred, dtype=int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions: pass one prediction per image.")
    if len(y_true) and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= n_classes):
        raise ValueError(f"labels and predictions must lie in 0..{n_classes - 1}")
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def most_confused(matrix: np.ndarray, class_names: Sequence[str], k: int = 3) -> list[tuple[str, str, int]]:
    """The ``k`` largest off-diagonal counts as ``(true class, predicted class, count)``, largest first."""
    pairs = [(int(matrix[t, p]), t, p) for t in range(len(matrix)) for p in range(len(matrix))
             if t != p and matrix[t, p] > 0]
    pairs.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [(class_names[t], class_names[p], count) for count, t, p in pairs[:k]]
