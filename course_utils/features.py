"""Image datasets of a profile's size, and features extracted from them once.

Training a head on a frozen base does not need the base in the training loop: run every image
through the base once, keep the features, and train the head on those (seconds instead of
minutes on a CPU).  These helpers do the bookkeeping; the lessons build the models.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SEED = 42


def image_dataset(directory: str | Path, image_size: int, batch_size: int, limit: int | None = None,
                  subset: str | None = None, validation_split: float | None = None,
                  seed: int = DEFAULT_SEED, shuffle: bool = True):
    """``keras.utils.image_dataset_from_directory`` at ``image_size``, cut to about ``limit`` images.

    Labels are integers in alphabetical order of the class folders.  Pixels are float32 in
    [0, 255]: preprocessing belongs to the model (lesson 03).  With ``subset`` and
    ``validation_split`` one folder is split reproducibly (same ``seed`` for both subsets).
    """
    import keras

    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} does not exist: run the get_file(...) cell that downloads "
                                "and extracts the dataset first.")
    dataset = keras.utils.image_dataset_from_directory(
        directory, image_size=(image_size, image_size), batch_size=batch_size, shuffle=shuffle,
        seed=seed, subset=subset, validation_split=validation_split, verbose=False)
    class_names = dataset.class_names
    if limit is not None:
        dataset = dataset.take(math.ceil(limit / batch_size))
    dataset.class_names = class_names  # take() drops the attribute
    return dataset


def materialize(dataset) -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8) and labels of a (small) dataset as NumPy arrays: decode the JPEGs once."""
    images, labels = [], []
    for x, y in dataset:
        images.append(np.clip(np.rint(x.numpy()), 0, 255).astype("uint8"))
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)


def extract_features(model, dataset) -> tuple[Any, np.ndarray, float]:
    """Run ``dataset`` through ``model`` once (inference mode): (features, labels, images per second).

    ``features`` is an array, or a list of arrays for a model with several outputs.
    """
    outputs, labels, count = [], [], 0
    started = time.perf_counter()
    for x, y in dataset:
        result = model.predict_on_batch(x)  # compiled: several times faster than an eager call
        result = result if isinstance(result, (list, tuple)) else [result]
        outputs.append([np.asarray(r) for r in result])
        labels.append(y.numpy())
        count += len(y)
    speed = count / (time.perf_counter() - started)
    stacked = [np.concatenate([batch[i] for batch in outputs]) for i in range(len(outputs[0]))]
    return (stacked if len(stacked) > 1 else stacked[0]), np.concatenate(labels), speed
