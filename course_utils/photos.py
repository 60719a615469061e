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


#: The first bytes of each image format a Keras image folder may hold, by file suffix.
_SIGNATURES = {".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff", ".png": b"\x89PNG", ".gif": b"GIF8", ".bmp": b"BM"}


def image_problem(path: str | Path) -> str | None:
    """Why ``path`` is not an image a decoder can read (empty, not the format its name says, a JPEG
    cut short), or None.  Reads a few bytes at each end, so checking thousands of photos takes
    a fraction of a second."""
    path = Path(path)
    signature = _SIGNATURES.get(path.suffix.lower())
    size = path.stat().st_size
    if size == 0:
        return "the file is empty"
    with open(path, "rb") as handle:
        head = handle.read(len(signature or b""))
        handle.seek(max(0, size - 1024))
        tail = handle.read()
    if signature and head != signature:
        return f"it is not a {path.suffix.lstrip('.').upper()} image (it starts with {head!r})"
    if path.suffix.lower() in (".jpg", ".jpeg") and b"\xff\xd9" not in tail:
        return "the JPEG is cut short (no end-of-image marker): the download or copy was interrupted"
    return None


def unreadable_images(folder: str | Path) -> list[tuple[Path, str]]:
    """Every image file under ``folder`` (class folders included) that a decoder cannot read, with why."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix.lower() in _SIGNATURES and path.is_file():
            problem = image_problem(path)
            if problem:
                found.append((path, problem))
    return found
