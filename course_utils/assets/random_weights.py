"""The negative control's random weights: ``weights="imagenet"`` builds the network, loads nothing.

Every claim a lesson makes must fail on a model that learned nothing, so the harness also runs the
lessons with random weights.  It does not ask the notebook for that: a lesson writes
``MobileNetV2(..., weights="imagenet")`` as a learner would, and the harness sets
``COURSE_RANDOM_WEIGHTS=1`` in the kernel's environment.  :func:`setup` then installs the guard
below: Keras's applications find their pretrained file in the Keras cache (``models/``) as usual and
ask the model to load it, and the guard leaves the model as it was initialized, at random.  Every
other ``load_weights`` (a checkpoint, a backup) loads as usual.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import patching
from .keras_cache import keras_home

#: The environment variable the harness sets for a random-weights run.
ENV_VAR = "COURSE_RANDOM_WEIGHTS"

#: The pretrained files left unloaded in this process, by file name (what the negative control skipped).
skipped: list[str] = []


def requested(environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """Whether this run uses random weights (``COURSE_RANDOM_WEIGHTS`` set to anything but ``""`` or ``0``)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return value.strip() not in ("", "0")


def is_pretrained_file(filepath: Any, home: Path | None = None) -> bool:
    """Whether ``filepath`` lies in the Keras cache's ``models/`` folder, where applications keep their weights."""
    try:
        path = Path(os.fspath(filepath)).resolve()
    except TypeError:  # a file object, not a path: never a cached application's weights
        return False
    models = ((home or keras_home()) / "models").resolve()
    return path.is_relative_to(models)


def install_random_weights_guard() -> None:
    """Make ``Model.load_weights`` skip the Keras cache's pretrained files in this process (idempotent)."""
    import keras

    patching.install(keras.Model, "load_weights", _skipping_pretrained)


def _skipping_pretrained(load_weights: Callable[..., Any]) -> Callable[..., Any]:
    def load_unless_pretrained(self: Any, filepath: Any, *args: Any, **kwargs: Any) -> Any:
        if is_pretrained_file(filepath):
            skipped.append(Path(os.fspath(filepath)).name)
            return None
        return load_weights(self, filepath, *args, **kwargs)

    return load_unless_pretrained
