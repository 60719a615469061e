"""Photos: picking and loading image files, and which ImageNet classes are cats and dogs.

The lessons keep the canonical download calls (``keras.utils.get_file(...)``) in view; these
helpers only do the bookkeeping around them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

#: ImageNet-1k class indices: 151-268 are dog breeds, 281-285 domestic cats.
DOG_CLASSES = range(151, 269)
CAT_CLASSES = range(281, 286)


def species_of(imagenet_class: int) -> str | None:
    """``"dog"``, ``"cat"`` or ``None`` for an ImageNet-1k class index."""
    if imagenet_class in DOG_CLASSES:
        return "dog"
    if imagenet_class in CAT_CLASSES:
        return "cat"
    return None


def image_files(folder: str | Path) -> list[Path]:
    """The image files directly inside ``folder``, sorted; an error if there are none."""
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"No images in {folder}. Was the dataset downloaded and extracted? Re-run the get_file(...) cell above."
        )
    return files


def sample_files(folder: str | Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` image files of ``folder``, the same ones for the same seed."""
    files = image_files(folder)
    return random.Random(seed).sample(files, min(n, len(files)))


def load_images(paths: Sequence[str | Path], size: int) -> np.ndarray:
    """Photos resized to ``size`` x ``size`` RGB, as float32 in [0, 255], shape ``(n, size, size, 3)``.

    A file that is not a readable image raises ``ValueError`` naming it.
    """
    import keras

    arrays = []
    for path in paths:
        try:
            image = keras.utils.load_img(path, target_size=(size, size), color_mode="rgb")
        except Exception as error:
            raise ValueError(f"{path} is not a readable image ({error}); delete or replace it.") from None
        arrays.append(keras.utils.img_to_array(image, dtype="float32"))
    return np.stack(arrays)


#: The file suffixes ``keras.utils.image_dataset_from_directory`` reads (its ``ALLOWLIST_FORMATS``).
KERAS_IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

#: The first bytes of each format ``tf.io.decode_image`` (which Keras decodes with) recognises by content.
_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG": "PNG", b"GIF8": "GIF", b"BM": "BMP"}


def image_problem(path: str | Path) -> str | None:
    """Why ``path`` is not an image Keras can read (empty, not an image, a JPEG cut short), or None.

    Keras decodes with ``tf.io.decode_image``, which goes by the bytes, not the name: a PNG named
    ``.jpg`` is read as a PNG, and a JPEG followed by other data (a phone's motion photo, its video
    after the JPEG's end marker) as a JPEG.  A few bytes at each end are read first, so checking
    thousands of photos takes a fraction of a second; a file that looks wrong there (no known
    format, or no end marker near the end of a JPEG) is decoded the way Keras decodes it, and only
    a file that fails that is a problem.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "the file is empty"
    with open(path, "rb") as handle:
        head = handle.read(8)
        handle.seek(max(0, size - 1024))
        tail = handle.read()
    kind = next((name for signature, name in _SIGNATURES.items() if head.startswith(signature)), None)
    if kind is None:
        problem = f"it is not a {path.suffix.lstrip('.').upper()} image, nor any other kind (it starts with {head!r})"
    elif kind == "JPEG" and b"\xff\xd9" not in tail:
        problem = "the JPEG is cut short (no end-of-image marker): the download or copy was interrupted"
    else:
        return None
    return None if _decodes(path) else problem


def _decodes(path: Path) -> bool:
    """Whether ``tf.io.decode_image`` reads ``path`` as ``keras.utils.image_dataset_from_directory`` does."""
    import tensorflow as tf

    try:
        tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except (tf.errors.OpError, ValueError):
        return False
    return True


def unreadable_images(folder: str | Path) -> list[tuple[Path, str]]:
    """Every image file under ``folder`` (class folders included) that Keras cannot read, with why."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix.lower() in KERAS_IMAGE_SUFFIXES and path.is_file():
            problem = image_problem(path)
            if problem:
                found.append((path, problem))
    return found


def class_folders(directory: str | Path) -> dict[str, int]:
    """The class folders of an image folder as Keras sees them (every sub-folder whose name does not
    start with ``.``), each with the number of image files under it."""
    directory = Path(directory)
    return {
        sub.name: sum(1 for path in sub.rglob("*") if path.suffix.lower() in KERAS_IMAGE_SUFFIXES and path.is_file())
        for sub in sorted(directory.iterdir())
        if sub.is_dir() and not sub.name.startswith(".")
    }


def class_folder_problem(directory: str | Path, validation_split: float | None = None) -> str | None:
    """What is wrong with ``directory`` as a folder of classes (one sub-folder of photos per class), or None.

    Keras accepts all of these silently: photos with no class folders, one class only (a "classifier"
    that has nothing to tell apart), a class folder with no image (a class no photo shows), and, when
    one folder is split (``validation_split``), a class with a single photo, which one split never sees.
    """
    directory = Path(directory)
    counts = class_folders(directory)
    layout = (
        f"put each class's photos in a sub-folder named after the class ({directory}/cats/..., {directory}/dogs/...)"
    )
    if not counts:
        return f"{directory} has no class folders: {layout}."
    if len(counts) == 1:
        return (
            f"{directory} has one class folder only ({next(iter(counts))}), and a classifier needs at least two "
            f"classes to tell apart: {layout}."
        )
    if empty := [name for name, count in counts.items() if count == 0]:
        listed = ", ".join(str(directory / name) for name in empty)
        return (
            f"No image ({', '.join(KERAS_IMAGE_SUFFIXES)}) in the class folder(s) {listed}: add photos of that "
            "class, or delete the folder (every sub-folder is a class)."
        )
    if validation_split and (small := [name for name, count in counts.items() if count < 2]):
        listed = ", ".join(f"{directory / name} ({counts[name]} image)" for name in small)
        return (
            f"The class folder(s) {listed} are too few to split into training and validation "
            f"(validation_split={validation_split}): one of the splits would never see the class. Add photos "
            "to them (a few dozen per class), or load the folder without validation_split."
        )
    return None
