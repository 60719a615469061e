"""Small model-inspection helpers: parameter counts, weight snapshots, and how structured a kernel is."""

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


def colour_agreement(kernel: np.ndarray) -> float:
    """How alike a first convolution's filters treat the red, green and blue inputs: the correlation
    between the weights on each pair of colour channels, over all filters, averaged over the 3 pairs.

    ``kernel`` has Keras's layout ``(height, width, 3, filters)``.  A filter that looks for a pattern
    of brightness (an edge, a blob) weighs the three colours alike, so a trained first layer, where
    most filters are of that kind, scores well above 0; random initial weights are drawn
    independently for each colour, so they score about 0.
    """
    k = np.asarray(kernel, dtype="float64")
    if k.ndim != 4 or k.shape[2] != 3:
        raise ValueError(f"kernel must be (height, width, 3, filters), a first convolution's, got {k.shape}")
    red, green, blue = (k[:, :, channel, :].ravel() for channel in range(3))
    pairs = ((red, green), (red, blue), (green, blue))
    return float(np.mean([np.corrcoef(x, y)[0, 1] for x, y in pairs]))
