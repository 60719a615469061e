"""setup(): settings with a notebook's own overrides, the mirror installed, seeds, the summary."""

from __future__ import annotations

import json
import os
import random

import pytest
from mirrors import make_mirror

import course_utils
from course_utils import notebook_setup, recording


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setattr(notebook_setup, "keras_home", lambda: home)
    monkeypatch.setattr("course_utils.assets.keras_cache.keras_home", lambda: home)
    monkeypatch.delenv("COURSE_ASSETS", raising=False)
    yield home
    recording.set_metrics_path(None)


def test_setup_gives_the_profile_with_the_notebooks_own_values(home, capsys):
    cfg = course_utils.setup(
        "ci", image_size=None, epochs=2, overrides={"ci": {"image_size": 96}, "full": {"epochs": 1}}
    )
    assert cfg.profile == "ci" and cfg.image_size == 96 and cfg.epochs == 2  # explicit knobs win
    assert cfg.train_images == course_utils.PROFILES["ci"]["train_images"]
    out = capsys.readouterr().out
    assert "Profile 'ci'" in out and "this notebook's own ci values: {'image_size': 96}" in out
    assert "no COURSE_ASSETS mirror is set" in out


def test_a_sound_setup_prints_two_lines_the_details_live_in_doctor(home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_ASSETS", str(make_mirror(tmp_path / "mirror")))
    course_utils.setup("smoke")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Profile 'smoke'") and "reconstructions" in lines[1]
    assert "assets status" in lines[1], "says where the reconstructed files are named"


def test_setup_seeds_and_points_record_at_the_harness_file(home, tmp_path):
    metrics = tmp_path / "metrics.json"
    course_utils.setup("smoke", seed=7, metrics_path=metrics, quiet=True)
    first = random.random()
    course_utils.setup("smoke", seed=7, metrics_path=metrics, quiet=True)
    assert random.random() == first
    course_utils.record("accuracy", 0.5)
    assert json.loads(metrics.read_text()) == {"accuracy": 0.5}


def test_setup_installs_the_mirror_and_reports_a_damaged_file_without_failing(home, tmp_path, monkeypatch, capsys):
    mirror = make_mirror(tmp_path / "mirror", bad_hash={"datasets/data.zip"})
    monkeypatch.setenv("COURSE_ASSETS", str(mirror))
    course_utils.setup("smoke")
    assert (home / "models" / "weights_224_no_top.h5").is_file()
    out = capsys.readouterr().out
    assert "NOT installed" in out and "data.zip" in out and "reconstructions" in out


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"profile": "fast"}, "Unknown PROFILE"),
        ({"profile": "ci", "learning_rate": 1e-3}, "Unknown knob"),
        ({"profile": "ci", "overrides": {"cii": {}}}, "not a profile"),
        ({"profile": "ci", "overrides": {"ci": {"imagesize": 96}}}, "Unknown knob"),
    ],
)
def test_setup_explains_bad_settings(home, kwargs, message):
    with pytest.raises(ValueError, match=message):
        course_utils.setup(quiet=True, **kwargs)


def test_native_start_up_lines_are_held_back_and_anything_else_passes(capfd):
    from course_utils.notebook_setup import quiet_native_logs

    with quiet_native_logs():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1.2 123 cudart_stub.cc:31] Could not find cuda drivers on your machine\n")
        os.write(2, b"I0000 00:00:1.3 123 cpu_feature_guard.cc:210] This TensorFlow binary is optimized to use ...\n")
        os.write(
            2, b"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the ...\n"
        )
        os.write(2, b"F0000 something real went wrong\n")
    err = capfd.readouterr().err
    assert "absl" not in err and "cuda" not in err and "AVX2" not in err and "optimized" not in err
    assert "something real went wrong" in err


def test_tensorflow_retracing_hints_are_dropped_and_other_warnings_kept(caplog):
    import logging

    notebook_setup._drop_retracing_hints()
    notebook_setup._drop_retracing_hints()  # idempotent: one filter however often setup runs
    logger = logging.getLogger("tensorflow")
    assert sum(isinstance(f, notebook_setup._RetracingHints) for f in logger.filters) == 1
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        logger.warning("5 out of the last 35 calls to <function f> triggered tf.function retracing. Tracing is ...")
        logger.warning("something worth reading")
    assert [r.getMessage() for r in caplog.records] == ["something worth reading"]


def test_setup_guards_extraction_and_a_read_only_cache(home):
    import keras
    from keras.src.datasets import fashion_mnist
    from keras.src.utils import file_utils

    course_utils.setup("smoke", quiet=True)  # tests/conftest.py removes the guards afterwards
    assert getattr(file_utils.extract_archive, "__course_guard__", False)
    assert getattr(keras.utils.get_file, "__course_guard__", False)
    assert getattr(file_utils.get_file, "__course_guard__", False)
    assert getattr(fashion_mnist.get_file, "__course_guard__", False)  # imported under its own name


def test_setup_makes_relative_data_folders_absolute_where_they_were_set(home, tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # a kernel's folder, not the shell's
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("TFDS_DATA_DIR", "tfds")
    course_utils.setup("smoke", quiet=True)
    assert os.environ["TFDS_DATA_DIR"] == str(tmp_path / "tfds")


def test_setup_survives_a_full_disk_and_says_what_to_do(home, tmp_path, monkeypatch, capsys):
    import errno

    from course_utils.assets import keras_cache

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras_cache, "copy_stream_verified", full)
    monkeypatch.setenv("COURSE_ASSETS", str(make_mirror(tmp_path / "mirror")))
    course_utils.setup("smoke")
    out = capsys.readouterr().out
    assert "the disk is full" in out and "weights_224_no_top.h5" in out and "free some space" in out
