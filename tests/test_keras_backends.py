"""Lesson 09's probes: lesson 02's rule and lesson 04's mechanism on the installed Keras, in seconds.

These run in-process on the environment's backend (TensorFlow), so they run wherever the fast tests run: in
CI's lowest (Keras 3.9) and highest (Keras 3.15) environments too, where the lessons themselves are not all run.
"""

from __future__ import annotations

import json

import keras
import pytest
from packaging.version import Version

from course_utils import keras_backends
from course_utils.keras_backends import BATCHNORM_WAYS, COMPILE_RULE_EXPERIMENTS, BackendUnavailable, SpeedSettings

#: keras-team/keras#23364: from this release on, a functional base(x, training=False) holds under fit().
GRAPH_TRAINING_ARGUMENT_HOLDS = Version("3.16.0.dev0")


def test_the_compile_rule_on_the_installed_keras():
    answers = keras_backends.compile_rule()
    assert list(answers) == list(COMPILE_RULE_EXPERIMENTS)
    a, b, c, d, e = answers.values()
    assert (b, d) == ("no", "yes"), f"after a new compile the change must hold on Keras {keras.__version__}: {answers}"
    assert (a, c, e) == ("yes", "no", "no"), f"TensorFlow's form of the rule changed on Keras {keras.__version__}"


def test_lesson_04s_mechanism_on_the_installed_keras():
    measured = keras_backends.batchnorm_mechanism()
    functional, frozen, subclassed = (measured[way] for way in BATCHNORM_WAYS)
    assert frozen == {"drift": 0.0, "train_vs_inference": 0.0}, "a frozen BatchNorm layer runs in inference mode"
    assert subclassed == {"drift": 0.0, "train_vs_inference": 0.0}, "Python code's training=False is never overridden"
    if Version(keras.__version__) >= GRAPH_TRAINING_ARGUMENT_HOLDS:
        assert functional == {"drift": 0.0, "train_vs_inference": 0.0}, functional
    else:
        assert functional["drift"] > 0 and functional["train_vs_inference"] > 0, functional


def test_a_missing_backend_is_named_with_its_install_command(monkeypatch):
    with pytest.raises(ValueError, match="unknown Keras backend"):
        keras_backends.missing_packages(("mxnet",))
    monkeypatch.setattr(keras_backends, "missing_packages", lambda backends: ["jax"])
    with pytest.raises(BackendUnavailable, match=r'pip install -e "\.\[backends\]"'):
        keras_backends.measure("jax", SpeedSettings())


def test_a_failed_child_says_how_it_ended(monkeypatch):
    class Done:
        returncode, stdout, stderr = 1, "", "Traceback ...\nImportError: no module named jaxlib"

    monkeypatch.setattr(keras_backends, "missing_packages", lambda backends: [])
    monkeypatch.setattr(keras_backends.subprocess, "run", lambda *args, **kwargs: Done())
    with pytest.raises(RuntimeError, match=r"(?s)jax measurement failed \(exit code 1\).*no module named jaxlib"):
        keras_backends.measure("jax", SpeedSettings())


def test_the_child_reads_its_settings_and_answers_in_one_json_line(monkeypatch, capsys):
    monkeypatch.setattr(keras_backends, "compile_rule", lambda: {"A": "yes"})
    monkeypatch.setattr(keras_backends, "batchnorm_mechanism", lambda: {})
    seen = {}
    monkeypatch.setattr(keras_backends, "training_speed", lambda speed, jit: seen.update(speed=speed, jit=jit) or {})
    answer = keras_backends._child(json.dumps({"speed": SpeedSettings(image_size=96).__dict__, "jit_compile": True}))
    assert answer["backend"] == keras.backend.backend() and answer["compile_rule"] == {"A": "yes"}
    assert seen == {"speed": SpeedSettings(image_size=96), "jit": True}
