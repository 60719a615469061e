"""tfds.load("tf_flowers") works offline once prepared from a local archive (network banned here)."""

from __future__ import annotations

import io
import random
import tarfile
import threading
import time

import numpy as np
import pytest

from course_utils.assets import tfds_flowers
from course_utils.assets.download_guard import (
    AssetUnavailableError,
    install_tfds_download_guard,
    remove_tfds_download_guard,
)
from course_utils.assets.locks import holding

CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")


def _tiny_archive(path, per_class: int = 2):
    import keras

    with tarfile.open(path, "w:gz") as tar:
        for index, name in enumerate(CLASSES):
            for i in range(per_class):
                pixels = np.full((12, 12, 3), 40 * index + i, dtype="uint8")
                buffer = io.BytesIO()
                keras.utils.array_to_img(pixels).save(buffer, format="JPEG")
                info = tarfile.TarInfo(f"flower_photos/{name}/{i}.jpg")
                info.size = buffer.tell()
                buffer.seek(0)
                tar.addfile(info, buffer)
    return path


def test_prepare_then_the_canonical_load_works_without_network(tmp_path):
    import tensorflow_datasets as tfds

    archive = _tiny_archive(tmp_path / "flower_photos.tgz")
    summary = tfds_flowers.prepare_tf_flowers(data_dir=tmp_path / "tfds", archive=archive, probe=lambda url: False)
    assert "10 photos (prepared from" in summary and "official archive has 3,670" in summary
    train, val = tfds.load(
        "tf_flowers", split=["train[:80%]", "train[80%:]"], as_supervised=True, data_dir=str(tmp_path / "tfds")
    )
    labels = sorted(int(label) for _, label in train.concatenate(val))
    assert len(labels) == 10 and set(labels) == set(range(5))
    again = tfds_flowers.prepare_tf_flowers(data_dir=tmp_path / "tfds", archive=archive, probe=lambda url: False)
    assert "already prepared" in again


def test_without_an_archive_online_tfds_downloads_it_itself(tmp_path):
    summary = tfds_flowers.prepare_tf_flowers(
        data_dir=tmp_path / "tfds", archive=tmp_path / "missing.tgz", probe=lambda url: True
    )
    assert "does not exist" in summary and "tfds.load will download it" in summary


def test_without_an_archive_offline_it_fails_fast_with_both_fixes(tmp_path):
    started = time.perf_counter()
    with pytest.raises(AssetUnavailableError) as error:
        tfds_flowers.prepare_tf_flowers(
            data_dir=tmp_path / "tfds", archive=tmp_path / "missing.tgz", probe=lambda url: False
        )
    assert time.perf_counter() - started < 30
    message = str(error.value)
    assert "tf_flowers" in message and "connect to the internet" in message and "COURSE_ASSETS" in message


def test_the_canonical_load_offline_fails_fast_naming_the_dataset(tmp_path):
    import tensorflow_datasets as tfds

    install_tfds_download_guard(probe=lambda url: False)
    started = time.perf_counter()
    with pytest.raises(AssetUnavailableError, match="'tf_flowers'"):
        tfds.load(
            "tf_flowers",
            data_dir=str(tmp_path / "tfds"),
            download_and_prepare_kwargs={"download_config": tfds.download.DownloadConfig(try_download_gcs=False)},
        )
    assert time.perf_counter() - started < 30


def test_the_offline_guard_is_removed_again():
    from tensorflow_datasets.core.download import download_manager

    install_tfds_download_guard(probe=lambda url: False)
    remove_tfds_download_guard()
    assert not getattr(download_manager.DownloadManager.download, "__course_guard__", False)


def _temporary_names_after_seeding(seed: int = 1337) -> list[str]:
    """The temporary folder names TFDS draws in two course processes (``setup()`` seeds ``random`` alike)."""
    from tensorflow_datasets.core.utils import file_utils

    names = []
    for _ in range(2):
        random.seed(seed)
        names.append(file_utils._get_incomplete_dir("/data/tf_flowers/3.0.1"))
    return names


def test_course_seeding_would_give_every_process_the_same_tfds_temporary_name(monkeypatch):
    from tensorflow_datasets.core.utils import file_utils

    monkeypatch.setattr(file_utils, "random", random)  # TFDS as it comes
    first, second = _temporary_names_after_seeding()
    assert first == second  # TFDS's mechanism: what made the second preparation crash


def test_tfds_temporary_names_are_unseeded_also_when_tfds_downloads_itself(tmp_path):
    """Online without a local archive, ``prepare_tf_flowers`` returns early and the lesson's ``tfds.load`` prepares."""
    tfds_flowers.prepare_tf_flowers(
        data_dir=tmp_path / "tfds", archive=tmp_path / "missing.tgz", probe=lambda url: True
    )
    from tensorflow_datasets.core.utils import file_utils

    first, second = _temporary_names_after_seeding()
    assert first != second
    random.seed(1337)
    expected = random.random()
    random.seed(1337)
    file_utils._get_incomplete_dir("/data/tf_flowers/3.0.1")
    assert random.random() == expected  # the course's seeded sequence is not disturbed


def test_a_second_preparation_waits_for_the_first_then_finds_it_prepared(tmp_path):
    archive = _tiny_archive(tmp_path / "flower_photos.tgz")
    data_dir = tmp_path / "tfds"
    results: list[str] = []

    def prepare():
        results.append(tfds_flowers.prepare_tf_flowers(data_dir=data_dir, archive=archive, probe=lambda url: False))

    with holding(tfds_flowers.preparation_target(data_dir), "preparing tf_flowers (the test)"):
        first = threading.Thread(target=prepare)
        first.start()
        first.join(1.5)
        assert first.is_alive() and not results  # waiting for the lock, not preparing alongside
    first.join()
    second = threading.Thread(target=prepare)
    second.start()
    second.join()
    assert "prepared from" in results[0] and "already prepared" in results[1]
