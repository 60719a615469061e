"""Learners' own photo folders: class folders Keras would take silently, and photos Keras reads that look odd."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import datasets, photos


def _photos(folder, n, channel=0):
    import keras

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pixels = np.zeros((12, 12, 3), dtype="uint8")
        pixels[..., channel] = 100 + i
        keras.utils.save_img(folder / f"{i}.jpg", pixels)


def test_a_single_class_is_refused_with_the_layout_to_use(tmp_path):
    _photos(tmp_path / "cats", 4)
    with pytest.raises(ValueError) as error:
        datasets.image_dataset(tmp_path, image_size=8, batch_size=2)
    message = str(error.value)
    assert "one class folder" in message and "cats" in message and "at least two" in message, message


def test_photos_without_class_folders_are_refused_with_the_layout_to_use(tmp_path):
    _photos(tmp_path, 4)
    with pytest.raises(ValueError, match="no class folders") as error:
        datasets.image_dataset(tmp_path, image_size=8, batch_size=2)
    assert "sub-folder named after the class" in str(error.value)


def test_an_empty_class_folder_is_named(tmp_path):
    _photos(tmp_path / "cats", 4)
    _photos(tmp_path / "dogs", 4, channel=2)
    (tmp_path / "birds").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()  # hidden: Keras skips it, and so does the check
    with pytest.raises(ValueError) as error:
        datasets.image_dataset(tmp_path, image_size=8, batch_size=2)
    message = str(error.value)
    assert str(tmp_path / "birds") in message and "No image" in message and "delete the folder" in message
    assert ".ipynb_checkpoints" not in message


def test_a_class_too_small_to_split_is_refused(tmp_path):
    _photos(tmp_path / "cats", 6)
    _photos(tmp_path / "dogs", 1, channel=2)
    for subset in ("training", "validation"):
        with pytest.raises(ValueError) as error:
            datasets.image_dataset(tmp_path, 8, 2, subset=subset, validation_split=0.25)
        message = str(error.value)
        assert str(tmp_path / "dogs") in message and "1 image" in message and "too few to split" in message
    assert datasets.image_dataset(tmp_path, 8, 2).class_names == ["cats", "dogs"]  # unsplit, one photo is a class


def test_a_split_that_leaves_a_class_out_of_training_is_refused(tmp_path):
    import keras

    _photos(tmp_path / "cats", 10)
    _photos(tmp_path / "dogs", 2, channel=2)

    def training_has_dogs(seed):
        split = keras.utils.image_dataset_from_directory(
            tmp_path, image_size=(8, 8), seed=seed, subset="training", validation_split=0.5, verbose=False
        )
        return any("/dogs/" in path for path in split.file_paths)

    seed = next(seed for seed in range(100) if not training_has_dogs(seed))
    with pytest.raises(ValueError) as error:
        datasets.image_dataset(tmp_path, 8, 2, subset="training", validation_split=0.5, seed=seed)
    message = str(error.value)
    assert "dogs" in message and "none in the training split" in message and "too few to split" in message


def test_images_keras_decodes_are_not_called_broken(tmp_path):
    import keras

    pixels = np.random.default_rng(0).integers(0, 255, (12, 12, 3)).astype("uint8")
    keras.utils.save_img(tmp_path / "real.png", pixels)
    keras.utils.save_img(tmp_path / "real.jpg", pixels)
    png_named_jpg = tmp_path / "png.jpg"
    png_named_jpg.write_bytes((tmp_path / "real.png").read_bytes())
    motion_photo = tmp_path / "motion.jpg"  # a phone's motion photo: the video follows the JPEG's end marker
    motion_photo.write_bytes((tmp_path / "real.jpg").read_bytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(4000))
    assert photos.image_problem(png_named_jpg) is None
    assert photos.image_problem(motion_photo) is None
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(motion_photo.read_bytes()[:300])  # cut short: the decoder fails, and so does the check
    assert "cut short" in photos.image_problem(cut)
    (tmp_path / "text.png").write_bytes(b"not pixels at all")
    assert "not a PNG image" in photos.image_problem(tmp_path / "text.png")
