"""Train small classifier heads on cached features.

The same few lines appear whenever a lesson measures "how good are these features": a ``Dense``
layer (one logit for two classes, one per class otherwise), Adam, a few epochs, the validation
accuracy after the last epoch.

- :func:`train_head` writes those lines once for one feature set: the lessons' heads (02-05b).
- :func:`train_heads` trains the probes of lessons 01 and 06, many feature sets at once, in one ``fit``:
  their logits are stacked into one output and their losses added up; they share no weights, so each
  head learns as it would alone, on the same batches.  What a probe costs is Keras's work around it,
  not its arithmetic: one output instead of one per head, and the batches fed from one ``tf.data``
  pipeline instead of NumPy arrays (Keras's array adapter costs 20-40 ms an epoch here) took lesson
  01's eight probes on 256 images from 2.0 s to 0.9 s (2026-12-07).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def train_head(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_classes: int,
    epochs: int = 20,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    flatten: bool = False,
    dropout: float = 0.0,
    scale: bool = True,
) -> HeadResult:
    """Fit one head (its ``Dense`` layer is named ``head_0``) on one feature set, with Adam.

    ``scale=True`` standardizes the features with their training statistics first; pass ``False`` to
    train on the features exactly as the base produced them.
    """
    import keras

    if scale:
        x_train, x_val = standardize(x_train, x_val)
    inputs = keras.Input(shape=x_train.shape[1:])
    x = inputs
    for layer in classifier_layers(n_classes, flatten, dropout, name="head_0"):
        x = layer(x)
    model = keras.Model(inputs, x)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=_loss(n_classes))
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    val_correct = correct_of_logits(model(x_val, training=False), y_val)  # a direct call: predict() traces anew
    train_correct = correct_of_logits(model(x_train, training=False), y_train)
    return HeadResult(float(val_correct.mean()), float(train_correct.mean()), model, val_correct)


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
    """Fit one independent head per feature set, all in one ``fit``; one :class:`HeadResult` per set.

    The options are :func:`train_head`'s. Each result's ``model`` is the shared one: its output stacks the
    heads' logits, ``(examples, heads, 1 or n_classes)``, and head ``i`` is its layer ``head_i``.
    """
    import keras
    import tensorflow as tf

    if scale:
        pairs = [standardize(tr, va) for tr, va in zip(train_features, val_features, strict=True)]
        train_features, val_features = [p[0] for p in pairs], [p[1] for p in pairs]
    inputs = [keras.Input(shape=f.shape[1:]) for f in train_features]
    logits = []
    for i, x in enumerate(inputs):
        for layer in classifier_layers(n_classes, flatten, dropout, name=f"head_{i}"):
            x = layer(x)
        logits.append(x)
    model = keras.Model(inputs, keras.ops.stack(logits, axis=1))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=_summed_loss(n_classes, len(inputs)))
    labels = np.repeat(np.asarray(y_train).reshape(-1, 1), len(inputs), axis=1)  # every head, the same label
    labels = labels[..., None].astype("float32") if n_classes == 2 else labels
    batches = tf.data.Dataset.from_tensor_slices((tuple(train_features), labels))
    model.fit(batches.shuffle(len(labels)).batch(batch_size), epochs=epochs, shuffle=False, verbose=0)
    val_correct = _correct_by_head(model, val_features, y_val)
    train_correct = _correct_by_head(model, train_features, y_train)
    return [
        HeadResult(float(v.mean()), float(t.mean()), model, v) for v, t in zip(val_correct, train_correct, strict=True)
    ]


def _summed_loss(n_classes: int, heads: int):
    """The heads' mean losses added up, as if each were its own output (Keras would average them)."""
    loss = _loss(n_classes)

    def summed_loss(labels, logits):
        return heads * loss(labels, logits)

    return summed_loss


def _correct_by_head(model, features: Sequence[np.ndarray], labels: np.ndarray) -> list[np.ndarray]:
    logits = np.asarray(model(list(features), training=False))  # a direct call: predict() traces anew
    return [correct_of_logits(logits[:, i], labels) for i in range(logits.shape[1])]
