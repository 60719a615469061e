"""Train small classifier heads on cached features.

The same few lines appear whenever a lesson measures "how good are these features": a ``Dense``
layer (one logit for two classes, one per class otherwise), Adam, a few epochs, the validation
accuracy after the last epoch.  :func:`train_heads` trains several independent heads in one
``fit`` (their losses add up and they share no weights, so each learns exactly as it would
alone), which saves Keras's per-fit overhead when a lesson compares many feature sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class HeadResult:
    val_accuracy: float  # validation accuracy after the last epoch
    train_accuracy: float  # training accuracy after the last epoch (inference mode)
    model: object  # the Keras model that holds the head (shared when heads were trained together)
    val_correct: np.ndarray | None = None  # one True/False per validation example, for paired comparisons


def standardize(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Scale features by the training set's mean and spread (so depths and networks compare fairly).

    The guard against a spread of zero is relative to the features' own scale (a millionth of the
    largest spread), so features that are tiny but informative — a random network's top layers,
    around 1e-12 — are scaled up like any others instead of being flattened to zero.

    >>> import numpy as np
    >>> tiny = np.array([[1e-12], [3e-12]])
    >>> [float(round(v, 3)) for v in standardize(tiny)[0][:, 0]]
    [-1.0, 1.0]
    """
    mean = train.mean(axis=0, keepdims=True)
    std = train.std(axis=0, keepdims=True)
    std = std + 1e-6 * float(std.max()) + np.finfo("float64").tiny
    return [(a - mean) / std for a in (train, *others)]


def classifier_layers(n_classes: int, flatten: bool = False, dropout: float = 0.0, name: str | None = None) -> list:
    """Optional ``Flatten``, optional ``Dropout``, then ``Dense``: one logit for 2 classes, else one per class."""
    import keras

    layers = [keras.layers.Flatten()] if flatten else []
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(1 if n_classes == 2 else n_classes, name=name))
    return layers


def _loss(n_classes: int):
    import keras

    if n_classes == 2:
        return keras.losses.BinaryCrossentropy(from_logits=True)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def correct_of_logits(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One True/False per example: one logit column (its sign decides) or one column per class (argmax)."""
    logits = np.asarray(logits)
    predicted = (logits[:, 0] > 0).astype(int) if logits.shape[-1] == 1 else logits.argmax(axis=-1)
    return predicted == np.asarray(labels).reshape(-1)


def accuracy_of_logits(logits: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of logits: one column (sign decides) or one column per class (argmax decides)."""
    return float(correct_of_logits(logits, labels).mean())


def train_heads(
    train_features: Sequence[np.ndarray],
    y_train: np.ndarray,
    val_features: Sequence[np.ndarray],
    y_val: np.ndarray,
    *,
    n_classes: int,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    flatten: bool = False,
    dropout: float = 0.0,
    scale: bool = True,
) -> list[HeadResult]:
    """Fit one independent head per feature set; return one :class:`HeadResult` per set.

    ``scale=True`` standardizes each feature set with its training statistics first; pass
    ``False`` to train on the features exactly as the base produced them.
    """
    import keras

    if scale:
        pairs = [standardize(tr, va) for tr, va in zip(train_features, val_features, strict=True)]
        train_features, val_features = [p[0] for p in pairs], [p[1] for p in pairs]
    inputs = [keras.Input(shape=f.shape[1:]) for f in train_features]
    outputs = []
    for i, x in enumerate(inputs):
        for layer in classifier_layers(n_classes, flatten, dropout, name=f"head_{i}"):
            x = layer(x)
        outputs.append(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=[_loss(n_classes)] * len(outputs))
    targets = [y_train] * len(outputs)
    model.fit(list(train_features), targets, epochs=epochs, batch_size=batch_size, verbose=0)
    val_correct = _correct(model, val_features, y_val)
    train_correct = _correct(model, train_features, y_train)
    return [
        HeadResult(float(v.mean()), float(t.mean()), model, v) for v, t in zip(val_correct, train_correct, strict=True)
    ]


def _correct(model, features: Sequence[np.ndarray], labels: np.ndarray) -> list[np.ndarray]:
    logits = model(list(features), training=False)  # direct call: no predict() retracing per model
    logits = logits if isinstance(logits, (list, tuple)) else [logits]
    return [correct_of_logits(np.asarray(lg), labels) for lg in logits]


def train_head(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *, n_classes: int, **options: Any
) -> HeadResult:
    """One head on one feature set: :func:`train_heads` with a single input (``options`` as there)."""
    return train_heads([x_train], y_train, [x_val], y_val, n_classes=n_classes, **options)[0]
