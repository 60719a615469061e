"""A model's files on disk, a photo written as a JPEG, and the latency timer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from course_utils import deployment
from course_utils.deployment import median_latency, megabytes, quiet_tensorflow, size_on_disk, write_photo


def test_a_photo_written_as_jpeg_loads_back_the_way_a_user_loads_it(tmp_path):
    import keras

    image = np.full((40, 30, 3), 120.0)
    image[:, :15] = 200.0
    path = write_photo(image, tmp_path / "photos" / "one.jpg")
    loaded = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(20, 20)))
    assert loaded.shape == (20, 20, 3)
    assert abs(float(loaded[:, :5].mean()) - 200.0) < 6 and abs(float(loaded[:, -5:].mean()) - 120.0) < 6
    with pytest.raises(ValueError, match="JPEG"):
        write_photo(image, tmp_path / "one.png")
    with pytest.raises(ValueError, match=r"images\[i\]"):
        write_photo(image[None], tmp_path / "two.jpg")


def test_sizes_of_a_file_and_a_folder(tmp_path):
    (tmp_path / "model" / "variables").mkdir(parents=True)
    (tmp_path / "model" / "saved_model.pb").write_bytes(b"x" * 1000)
    (tmp_path / "model" / "variables" / "v.data").write_bytes(b"x" * 500)
    assert size_on_disk(tmp_path / "model") == 1500
    assert size_on_disk(tmp_path / "model" / "saved_model.pb") == 1000
    assert megabytes(2_500_000) == "2.5 MB"
    with pytest.raises(FileNotFoundError, match="save or export"):
        size_on_disk(tmp_path / "missing")


def test_median_latency_is_the_median_of_the_timed_calls_after_the_warmup(monkeypatch):
    clock = [500.0]
    monkeypatch.setattr(deployment, "time", SimpleNamespace(perf_counter=lambda: clock[0]))  # its clock only

    def takes(seconds: list[float]):
        """A call that advances the test's clock by the next of ``seconds``."""
        return lambda: clock.__setitem__(0, clock[0] + seconds.pop(0))

    durations = [60.0, 40.0, 5.0, 1.0, 3.0, 2.0, 400.0]  # two slow warm-ups (untimed), then five timed calls
    assert median_latency(takes(durations), repeats=5, warmup=2) == pytest.approx(3.0) and not durations
    assert median_latency(takes([9.0, 1.0, 2.0, 3.0, 10.0]), repeats=4, warmup=1) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="repeats"):
        median_latency(lambda: None, repeats=0)


def test_quiet_tensorflow_hides_info_and_restores_the_level(caplog):
    import logging

    logger = logging.getLogger("tensorflow")
    before = logger.level
    with caplog.at_level(logging.INFO, logger="tensorflow"), quiet_tensorflow():
        logger.info("Assets written to: somewhere")
        assert logger.level == logging.ERROR
    assert "Assets written" not in caplog.text and logger.level == before


def test_a_photo_in_0_1_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match="multiply by 255"):
        write_photo(np.full((4, 4, 3), 0.5), tmp_path / "dark.jpg")
