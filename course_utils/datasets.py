"""The lessons' datasets: where they come from, image folders as ``tf.data`` datasets, arrays in memory.

- ``CATS_AND_DOGS_URL`` and ``FLOWERS_URL``: the archives lessons pass to ``keras.utils.get_file``;
- :func:`prepare_tf_flowers`: makes the canonical ``tfds.load("tf_flowers")`` work offline;
- :func:`image_dataset`, :func:`materialize`, :func:`fixed_order`, :func:`dataset_labels`;
- :func:`training_batches`: a training pipeline in the order that works (cache, shuffle every epoch, batch, prefetch);
- :func:`fashion_mnist_splits`, :func:`icon_batches`: Fashion-MNIST split three ways, and its grayscale icons
  as RGB batches at a backbone's input size.

Pixels stay in [0, 255]: preprocessing belongs to the model (lesson 03).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .assets.catalog import CATS_AND_DOGS_URL, FLOWERS_URL
from .assets.tfds_flowers import prepare_tf_flowers
from .photos import class_folder_problem, class_folders, unreadable_images
from .profiles import DEFAULT_SEED

__all__ = [
    "CATS_AND_DOGS_URL",
    "FLOWERS_URL",
    "prepare_tf_flowers",
    "image_dataset",
    "materialize",
    "fixed_order",
    "dataset_labels",
    "training_batches",
    "fashion_mnist_splits",
    "icon_batches",
]


def image_dataset(
    directory: str | Path,
    image_size: int,
    batch_size: int,
    limit: int | None = None,
    subset: str | None = None,
    validation_split: float | None = None,
    seed: int = DEFAULT_SEED,
    shuffle: bool = True,
):
    """``keras.utils.image_dataset_from_directory`` at ``image_size``, cut to about ``limit`` images.

    Labels are integers in alphabetical order of the class folders.  Pixels are float32 in
    [0, 255]: preprocessing belongs to the model (lesson 03).  With ``subset`` and
    ``validation_split`` one folder is split reproducibly (same ``seed`` for both subsets).
    An image file that cannot be read (empty, cut short, not an image) is named before anything loads,
    and so is a folder Keras would take silently but cannot teach from: no class folders, one class,
    an empty class folder, a class too small to split (:func:`course_utils.photos.class_folder_problem`).
    """
    import keras

    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory} does not exist: run the get_file(...) cell that downloads and extracts the dataset first."
        )
    if problem := class_folder_problem(directory, validation_split):
        raise ValueError(problem)
    broken = unreadable_images(directory)
    if broken:
        listed = "\n".join(f"  {path}: {why}" for path, why in broken[:10])
        more = f"\n  ... and {len(broken) - 10} more" if len(broken) > 10 else ""
        raise ValueError(
            f"{len(broken)} image file(s) under {directory} cannot be read, and training would stop at the "
            f"first one with a message that names no file:\n{listed}{more}\nDelete or replace them, then re-run "
            "this cell. (For a course dataset, re-running its get_file(...) cell extracts the archive again when a "
            "file is missing or cut short.)"
        )
    dataset = keras.utils.image_dataset_from_directory(
        directory,
        image_size=(image_size, image_size),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        subset=subset,
        validation_split=validation_split,
        verbose=False,
    )
    class_names = dataset.class_names
    if subset is not None:
        _require_every_class(directory, dataset.file_paths, class_names, subset, validation_split, seed)
    if limit is not None:
        dataset = dataset.take(math.ceil(limit / batch_size))
    dataset.class_names = class_names  # take() drops the attribute
    return dataset


def _require_every_class(
    directory: Path, file_paths: list[str], class_names: list[str], subset: str, validation_split: float, seed: int
) -> None:
    """A ``ValueError`` if the ``subset`` Keras split off has no image of some class (the split is not per class)."""
    present = {Path(path).relative_to(directory).parts[0] for path in file_paths}
    if missing := [name for name in class_names if name not in present]:
        counts = class_folders(directory)
        listed = ", ".join(f"{directory / name} ({counts[name]} images)" for name in missing)
        raise ValueError(
            f"The class folder(s) {listed} have none in the {subset} split (validation_split={validation_split}, "
            f"seed={seed}): too few to split. Add photos to them (a few dozen per class), or load the folder "
            "without validation_split."
        )


def materialize(dataset) -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8) and labels of a (small) dataset as NumPy arrays: decode the JPEGs once."""
    images, labels = [], []
    for x, y in dataset:
        images.append(np.clip(np.rint(x.numpy()), 0, 255).astype("uint8"))
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)


def fixed_order(dataset, batch_size: int | None = None):
    """The same images in memory, in one fixed order, batched: safe to split with ``take``/``skip``.

    ``image_dataset_from_directory(shuffle=True)`` reshuffles on every pass, so ``take(n)`` and
    ``skip(n)`` on it draw different images each time, and a "test" split carved that way overlaps
    the validation split.  Decoding the (small) dataset once fixes the order.
    """
    import tensorflow as tf

    class_names = getattr(dataset, "class_names", None)
    images, labels = materialize(dataset)
    if batch_size is None:
        batch_size = int(next(iter(dataset))[0].shape[0])
    fixed = tf.data.Dataset.from_tensor_slices((images.astype("float32"), labels)).batch(batch_size)
    fixed = fixed.prefetch(tf.data.AUTOTUNE)
    fixed.class_names = class_names
    return fixed


def dataset_labels(dataset) -> np.ndarray:
    """Every label of a batched ``(images, labels)`` dataset, in its order."""
    return np.concatenate([np.asarray(y) for _, y in dataset])


def training_batches(dataset, batch_size: int, limit: int | None = None, seed: int = DEFAULT_SEED):
    """Training batches from an *unbatched* ``(image, label)`` dataset, in a new order every epoch.

    The order of the four steps is the point (lesson 05):

    1. ``take(limit)`` then ``cache()``: the (decoded, resized) examples are kept in memory after the
       first epoch, so later epochs skip the JPEGs; caching *after* a shuffle would replay epoch 1's
       order forever.
    2. ``shuffle(n, reshuffle_each_iteration=True)`` over the whole cached set: a new order every epoch
       (a buffer smaller than the dataset only mixes neighbours).
    3. ``batch``: after the shuffle, so batches are made of different examples each epoch.
    4. ``prefetch``: last, so the next batch is prepared while the model trains on this one.

    ``keras.Model.fit(shuffle=True)`` cannot do this: it only shuffles NumPy arrays, and for a
    ``tf.data.Dataset`` it is ignored (Keras warns so).
    """
    import tensorflow as tf

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2 or spec[0].shape.rank not in (None, 3):
        raise ValueError(
            f"training_batches takes unbatched (image, label) pairs, got elements {spec}: load the dataset with "
            "batch_size=None (or call .unbatch() first); from TFDS, pass as_supervised=True."
        )
    if limit is not None:
        dataset = dataset.take(limit)
    dataset = dataset.cache()
    size = int(dataset.cardinality())
    if size < 0:  # unknown length (a filtered or generated dataset): count once, from the cache
        size = sum(1 for _ in dataset)
    dataset = dataset.shuffle(max(size, 1), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def fashion_mnist_splits(
    train_images: int, val_images: int, test_images: int | None = None, seed: int = DEFAULT_SEED
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as ``(train, validation, test)``, each ``(icons, labels)``.

    ``train_images`` icons drawn at random (``seed``) from the 60,000 training icons; ``val_images``
    from the first half of the 10,000 test icons and ``test_images`` (default: as many) from the
    second, so they never overlap: validation picks epochs and settings, test is looked at once.
    """
    import keras

    test_images = val_images if test_images is None else test_images
    for name, count in (("val_images", val_images), ("test_images", test_images)):
        if not 0 < count <= 5_000:
            raise ValueError(f"{name} must be 1..5,000 (each half of the 10,000 test icons), got {count}")
    (x_pool, y_pool), (x_held_out, y_held_out) = keras.datasets.fashion_mnist.load_data()
    if not 0 < train_images <= len(x_pool):
        raise ValueError(f"train_images must be 1..{len(x_pool):,}, got {train_images}")
    picked = np.random.default_rng(seed).permutation(len(x_pool))[:train_images]
    validation = slice(0, val_images)
    test = slice(5_000, 5_000 + test_images)
    return (
        (x_pool[picked], y_pool[picked]),
        (x_held_out[validation], y_held_out[validation]),
        (x_held_out[test], y_held_out[test]),
    )


def icon_batches(
    images: np.ndarray,
    labels: np.ndarray,
    image_size: int,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = DEFAULT_SEED,
):
    """Grayscale icons ``(n, h, w)`` (Fashion-MNIST) as batches of RGB images ``image_size`` square.

    Resized and copied to three channels on the fly, pixels still in [0, 255] (the model
    preprocesses).  ``shuffle=True`` draws a new order every epoch; without it the order is the
    arrays' own, so predictions line up with ``labels``.
    """
    import tensorflow as tf

    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(
            f"icons must have shape (n, height, width), one grayscale channel, got {images.shape}: "
            "pass the arrays keras.datasets.fashion_mnist.load_data() returns."
        )
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} icons but {len(labels)} labels: pass one label per icon.")

    def to_rgb(x, y):
        return tf.image.grayscale_to_rgb(tf.image.resize(x, (image_size, image_size))), y

    data = tf.data.Dataset.from_tensor_slices((images[..., None], np.asarray(labels)))
    if shuffle:
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).map(to_rgb, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
