"""The negative control's random weights: the Keras cache's pretrained files are left unloaded, nothing else."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils.assets import random_weights


def _model(seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, False),
        ({"COURSE_RANDOM_WEIGHTS": ""}, False),
        ({"COURSE_RANDOM_WEIGHTS": "0"}, False),
        ({"COURSE_RANDOM_WEIGHTS": "1"}, True),
    ],
)
def test_random_weights_are_asked_for_with_the_environment_variable(environ, expected):
    assert random_weights.requested(environ) is expected


def test_only_files_in_the_keras_cache_s_models_folder_count_as_pretrained(tmp_path):
    assert random_weights.is_pretrained_file(tmp_path / "models" / "mobilenet_v2.h5", home=tmp_path)
    assert random_weights.is_pretrained_file(str(tmp_path / "models" / "sub" / "w.h5"), home=tmp_path)
    assert not random_weights.is_pretrained_file(tmp_path / "backups" / "model.weights.h5", home=tmp_path)
    assert not random_weights.is_pretrained_file(tmp_path / "models_old" / "w.h5", home=tmp_path)
    assert not random_weights.is_pretrained_file(object(), home=tmp_path)


def test_the_guard_skips_pretrained_files_and_loads_every_other(tmp_path, monkeypatch):
    monkeypatch.setattr(random_weights, "keras_home", lambda: tmp_path)
    trained = _model(1)
    (tmp_path / "models").mkdir()
    pretrained, checkpoint = tmp_path / "models" / "net.weights.h5", tmp_path / "checkpoint.weights.h5"
    trained.save_weights(pretrained)
    trained.save_weights(checkpoint)
    random_weights.install_random_weights_guard()

    fresh = _model(2)
    initial = [w.copy() for w in fresh.get_weights()]
    fresh.load_weights(pretrained)  # what keras.applications does with weights="imagenet"
    assert all(np.array_equal(a, b) for a, b in zip(initial, fresh.get_weights(), strict=True))
    assert random_weights.skipped[-1] == "net.weights.h5"

    fresh.load_weights(checkpoint)  # a backup or checkpoint loads as ever
    assert all(np.array_equal(a, b) for a, b in zip(trained.get_weights(), fresh.get_weights(), strict=True))
