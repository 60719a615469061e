"""The same Keras code on TensorFlow, JAX and PyTorch, one process per backend (lesson 09).

Keras 3 picks its backend once, when it is first imported (``KERAS_BACKEND``), so each backend is measured in a
child process of its own: ``python -m course_utils.keras_backends '<json settings>'`` prints one JSON line with

- ``compile_rule``: lesson 02's five experiments — does a layer learn in the next ``fit`` after its ``trainable``
  changed, with and without a new ``compile``? (``"yes"``, ``"no"`` or ``"error: <type>: <its first sentence>"``);
- ``batchnorm``: lesson 04's tiny base fitted three ways — did ``fit`` move the BatchNorm statistics, and how
  far apart are the model's outputs in training mode (what ``fit`` trains on) and in inference mode (what
  ``predict`` computes) afterwards: the train/inference mismatch;
- ``speed``: images per second when fine-tuning the top of a MobileNetV2 (random weights: the speed does not
  depend on them) with ``train_on_batch``, after warm-up steps that include tracing and compilation.

The notebook calls :func:`measure` once per variant and tabulates the answers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

#: The Keras backends and the Python package each one needs.
BACKEND_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

#: Lesson 02's experiments, in its order: what happened to the layer ``first``, and whether ``compile`` ran after.
COMPILE_RULE_EXPERIMENTS = (
    "A. trained, then frozen, no recompile",
    "B. ... then compile() again",
    "C. frozen and trained, then unfrozen, no recompile",
    "D. ... then compile() again",
    "E. compiled, frozen before the first fit",
)

#: Lesson 04's three ways to build a model around a trainable base with one BatchNorm layer.
BATCHNORM_WAYS = (
    "functional, base(x, training=False)",
    "functional, BatchNorm trainable=False",
    "subclassed, base(x, training=False)",
)


@dataclass(frozen=True)
class SpeedSettings:
    """The training-speed measurement: image side, batch size, timed steps after ``warmup`` untimed ones."""

    image_size: int = 160
    batch_size: int = 32
    steps: int = 5
    warmup: int = 2
    fine_tune_at: str = "block_13_expand"  # the top of MobileNetV2, as in lesson 07


class BackendUnavailable(RuntimeError):
    """A backend's package is not installed in this environment."""


def missing_packages(backends: tuple[str, ...] = tuple(BACKEND_PACKAGES)) -> list[str]:
    """The packages among ``backends``' that this Python cannot import (nothing is imported to find out)."""
    unknown = sorted(set(backends) - set(BACKEND_PACKAGES))
    if unknown:
        raise ValueError(f"unknown Keras backend(s) {unknown}: choose among {sorted(BACKEND_PACKAGES)}")
    return [BACKEND_PACKAGES[b] for b in backends if importlib.util.find_spec(BACKEND_PACKAGES[b]) is None]


def measure(backend: str, speed: SpeedSettings, *, jit_compile: bool | None = None, timeout_s: float = 1800) -> dict:
    """Run the three measurements under ``backend`` in a child process and return its answers.

    ``jit_compile=None`` keeps the backend's default (XLA for JAX, none for TensorFlow and PyTorch).
    A missing package raises :class:`BackendUnavailable` at once, naming the install command.
    """
    missing = missing_packages((backend,))
    if missing:
        raise BackendUnavailable(
            f"the {backend} backend needs {missing[0]}, which is not installed here: "
            '`.venv/bin/python -m pip install -e ".[backends]"` installs JAX and PyTorch (see the README)'
        )
    settings = {"speed": speed.__dict__, "jit_compile": jit_compile}
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "course_utils.keras_backends", json.dumps(settings)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"the {backend} measurement failed (exit code {done.returncode}):\n{tail}")
    return json.loads(lines[-1])


# --- what runs in the child process (KERAS_BACKEND already set) -------------------------------------------------


def _outcome(step: Any) -> str:
    try:
        return "yes" if step() else "no"
    except Exception as error:  # a backend that refuses the step: the table shows which error, and its first line
        first_sentence = (str(error).strip().splitlines() or [""])[0].split(". ")[0].rstrip(".")
        return f"error: {type(error).__name__}: {first_sentence[:300]}"


def compile_rule() -> dict[str, str]:
    """Lesson 02's experiments: does the layer ``first`` learn in the next ``fit``?"""
    import keras
    import numpy as np

    from .model_weights import changed, snapshot

    rng = np.random.default_rng(0)
    xs = rng.normal(size=(256, 8)).astype("float32")
    ys = (xs.sum(axis=1) > 0).astype("float32")

    def new_model(first_trainable: bool = True) -> Any:
        m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="first"), keras.layers.Dense(1)])
        m.get_layer("first").trainable = first_trainable
        recompile(m)
        return m

    def recompile(m: Any) -> None:
        m.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))

    def first_moves(m: Any) -> bool:
        before = snapshot(m.get_layer("first").weights)
        m.fit(xs, ys, epochs=1, verbose=0)
        return changed(before, m.get_layer("first").weights) > 0

    def experiment(first_trainable: bool, then: bool | None, compile_again: bool) -> bool:
        m = new_model(first_trainable)
        if then is not None:  # train first, then change the layer's trainable
            m.fit(xs, ys, epochs=1, verbose=0)
            m.get_layer("first").trainable = then
        else:  # freeze before the first fit, after compile
            m.get_layer("first").trainable = False
        if compile_again:
            recompile(m)
        return first_moves(m)

    # each on a model of its own, so that one a backend refuses does not leave the next in a broken state
    steps = (
        lambda: experiment(True, False, compile_again=False),
        lambda: experiment(True, False, compile_again=True),
        lambda: experiment(False, True, compile_again=False),
        lambda: experiment(False, True, compile_again=True),
        lambda: experiment(True, None, compile_again=False),
    )
    return {name: _outcome(step) for name, step in zip(COMPILE_RULE_EXPERIMENTS, steps, strict=True)}


def batchnorm_mechanism() -> dict[str, dict[str, float]]:
    """Lesson 04's tiny base, fitted three ways: did its BatchNorm statistics move; the model's train/inference gap."""
    import keras
    import numpy as np

    from .finetune import batchnorm_statistics, statistics_drift, unfreeze_top

    rng = np.random.default_rng(0)
    xs, ys = rng.normal(3, 2, (64, 4)).astype("float32"), rng.integers(0, 2, 64).astype("float32")

    class TrainingFalse(keras.Model):
        def __init__(self, base: Any, head: Any) -> None:
            super().__init__()
            self.base, self.head = base, head

        def call(self, x: Any, training: Any = None) -> Any:
            return self.head(self.base(x, training=False))

    results = {}
    for way in BATCHNORM_WAYS:
        keras.utils.set_random_seed(0)
        inputs = keras.Input((4,))
        base = keras.Model(inputs, keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs)))
        head, outer = keras.layers.Dense(1), keras.Input((4,))
        if way.startswith("subclassed"):
            model = TrainingFalse(base, head)
        else:
            unfreeze_top(base, 0, keep_batchnorm_frozen=way.endswith("trainable=False"))  # BN frozen: that way
            model = keras.Model(outer, head(base(outer, training=False) if "training=False" in way else base(outer)))
        model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
        before = batchnorm_statistics(base)
        model.fit(xs, ys, epochs=1, batch_size=16, verbose=0)
        drift = max(statistics_drift(before, base).values())  # before the training-mode call below moves them
        # what fit() trains on (the model in training mode) against what predict() computes
        gap = np.abs(keras.ops.convert_to_numpy(model(xs, training=True) - model(xs, training=False))).max()
        results[way] = {"drift": float(drift), "train_vs_inference": float(gap)}
    return results


def training_speed(speed: SpeedSettings, jit_compile: bool | None) -> dict[str, float]:
    """Images per second fine-tuning MobileNetV2's top (BatchNorm frozen) with ``train_on_batch``."""
    import keras
    import numpy as np

    from .finetune import unfreeze_top

    keras.utils.set_random_seed(0)
    shape = (speed.image_size, speed.image_size, 3)
    base = keras.applications.MobileNetV2(input_shape=shape, include_top=False, weights=None, pooling="avg")
    unfreeze_top(base, speed.fine_tune_at)
    model = keras.Sequential(
        [keras.Input(shape), keras.layers.Rescaling(1 / 127.5, offset=-1), base, keras.layers.Dense(1)]
    )
    options = {} if jit_compile is None else {"jit_compile": jit_compile}
    model.compile(
        optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.BinaryCrossentropy(from_logits=True), **options
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (speed.batch_size, *shape)).astype("float32")
    y = rng.integers(0, 2, (speed.batch_size, 1)).astype("float32")
    started = time.perf_counter()
    for _ in range(speed.warmup):
        model.train_on_batch(x, y)
    warm = time.perf_counter()
    for _ in range(speed.steps):
        model.train_on_batch(x, y)
    timed_s = time.perf_counter() - warm
    return {
        "images_per_s": speed.steps * speed.batch_size / timed_s,
        "warmup_s": warm - started,
        "jit_compile": bool(getattr(model, "jit_compile", False)),
    }


def _library_version(backend: str) -> str:
    from importlib.metadata import version

    return version(BACKEND_PACKAGES[backend])


def _child(argument: str) -> dict:
    import keras

    settings = json.loads(argument)
    backend = keras.backend.backend()
    return {
        "backend": backend,
        "keras": keras.__version__,
        "library": _library_version(backend),
        "compile_rule": compile_rule(),
        "batchnorm": batchnorm_mechanism(),
        "speed": training_speed(SpeedSettings(**settings["speed"]), settings["jit_compile"]),
    }


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1])))
