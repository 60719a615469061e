"""Profiles give knob values; record() writes measured numbers for the harness."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from course_utils import recording
from course_utils.profiles import KNOB_VALUES, KNOBS, PROFILES, Settings, check_knob


def test_every_profile_defines_every_knob_with_a_value_that_passes_its_check():
    assert set(KNOB_VALUES) == set(KNOBS)
    for name, values in PROFILES.items():
        assert set(values) == set(KNOBS), name
        for knob, value in values.items():
            assert check_knob(knob, value) == value, (name, knob)


def test_ci_is_smaller_than_full():
    assert PROFILES["ci"]["n_photos"] < PROFILES["full"]["n_photos"]
    assert PROFILES["smoke"]["epochs"] <= PROFILES["ci"]["epochs"] <= PROFILES["full"]["epochs"]


def test_none_takes_the_profile_value_and_explicit_values_win():
    settings = Settings("ci", image_size=None, epochs=1)
    assert settings.image_size == PROFILES["ci"]["image_size"]
    assert settings.epochs == 1
    assert "profile='ci'" in repr(settings)


def test_unknown_profile_and_knob_are_explained():
    with pytest.raises(ValueError, match="full, quick, ci, smoke"):
        Settings("fast")
    with pytest.raises(ValueError, match="Unknown knob"):
        Settings("ci", learning_rate=1e-3)
    with pytest.raises(AttributeError, match="no knob"):
        _ = Settings("ci").learning_rate


def test_record_writes_to_the_metrics_file(tmp_path, capsys):
    path = tmp_path / "m.json"
    recording.set_metrics_path(path)
    try:
        recording.record("val_accuracy", np.float32(0.875))
        recording.record("seconds", 12)
    finally:
        recording.set_metrics_path(None)
    assert json.loads(path.read_text()) == {"val_accuracy": 0.875, "seconds": 12.0}
    assert capsys.readouterr().out == "", "a learner's run shows no bookkeeping lines"


def test_record_outside_the_harness_prints_nothing_but_still_checks_the_number(capsys):
    recording.set_metrics_path(None)
    assert recording.record("x", 0.5) is None  # a cell ending with record(...) shows no stray number
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="went wrong"):
        recording.record("x", float("nan"))


@pytest.mark.parametrize(
    "name, value, error",
    [
        ("Val Accuracy", 0.5, ValueError),
        ("acc", math.nan, ValueError),
        ("acc", True, TypeError),
        ("acc", "0.9", TypeError),
    ],
)
def test_record_rejects_bad_input(name, value, error):
    with pytest.raises(error):
        recording.record(name, value)


@pytest.mark.parametrize(
    "knobs, expected",
    [
        ({"image_size": "160"}, "IMAGE_SIZE must be a whole number of pixels, e.g. 160, not '160'"),
        ({"image_size": 160.0}, "IMAGE_SIZE must be a whole number of pixels, e.g. 160, not 160.0"),
        ({"train_images": 0}, "TRAIN_IMAGES must be at least 1"),
        ({"val_images": -5}, "VAL_IMAGES must be at least 1"),
        ({"epochs": 0}, "EPOCHS must be at least 1"),
        ({"fine_tune_epochs": True}, "FINE_TUNE_EPOCHS must be a whole number"),
        ({"batch_size": 0}, "BATCH_SIZE must be at least 1"),
        ({"n_photos": 0}, "N_PHOTOS must be at least 8"),
    ],
)
def test_knob_values_are_checked_and_the_fix_is_named(knobs, expected):
    with pytest.raises(ValueError) as error:
        Settings("ci", **knobs)
    message = str(error.value)
    assert message.startswith(expected) and "None" in message, message  # None: the profile's value


def test_a_notebooks_own_values_are_checked_too():
    with pytest.raises(ValueError, match=r"overrides\['ci'\]: IMAGE_SIZE must be at least 32"):
        Settings("ci", overrides={"ci": {"image_size": 0}})
    assert Settings("full", overrides={"ci": {"image_size": 0}}).image_size == 160  # another profile's: unused
    assert Settings("ci", train_images=np.int64(100), image_size=96).train_images == 100


def test_quick_starts_from_the_notebook_s_ci_values_then_takes_its_own():
    overrides = {"ci": {"image_size": 96, "train_images": 400}, "quick": {"train_images": 1000}}
    quick = Settings("quick", overrides=overrides)
    assert (quick.image_size, quick.train_images) == (96, 1000)  # ci's 96 px kept, its own 1,000 images
    assert quick.overridden == {"image_size": 96, "train_images": 1000}
    assert (
        Settings("quick", overrides={"ci": {"epochs": 3}}).as_dict()
        == Settings("ci", overrides={"ci": {"epochs": 3}}).as_dict()
    )
    assert Settings("ci", overrides=overrides).train_images == 400  # quick's values never reach ci
