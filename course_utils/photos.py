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
