"""Small model-inspection helpers: parameter counts and weight snapshots."""

from __future__ import annotations

import numpy as np


def count(weights) -> int:
    """Number of scalars in a list of weights (variables)."""
    return int(sum(np.prod(w.shape) for w in weights))


def param_counts(model) -> str:
    """The three lines ``model.summary()`` ends with, computed from the weights."""
    trainable, frozen = count(model.trainable_weights), count(model.non_trainable_weights)
    return f"Total params: {trainable + frozen:,}\nTrainable params: {trainable:,}\nNon-trainable params: {frozen:,}"


def snapshot(weights) -> list[np.ndarray]:
    """Copies of the current values of ``weights``, to compare after training."""
    return [np.array(w.numpy(), copy=True) for w in weights]


def changed(before: list[np.ndarray], weights) -> int:
    """How many of ``weights`` differ (at all) from a :func:`snapshot`."""
    return sum(not np.array_equal(old, w.numpy()) for old, w in zip(before, weights, strict=True))
