"""Folder settings (``COURSE_ASSETS``, ``KERAS_HOME``, ``TFDS_DATA_DIR``) made absolute, once, by one rule.

A relative value means "relative to where it was set": the shell's working directory, ``$PWD``,
which every process it starts inherits — a Jupyter kernel running in ``notebooks/`` or the
harness's per-run folder included — although their own working directory differs.  Resolved
against each kernel's working directory instead, ``KERAS_HOME=cache`` would name a new empty
cache per folder (the mirror copied again on every run; ``doctor`` checking another folder than
the notebook reads).  The absolute path is written back into the environment, so every later
reader (child processes, Keras, TFDS) agrees.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

KERAS_HOME = "KERAS_HOME"
TFDS_DATA_DIR = "TFDS_DATA_DIR"


def absolute(value: str | os.PathLike[str], *, from_setting: bool = True, existing_wins: bool = True) -> Path:
    """``value`` as an absolute path: relative values are taken from ``$PWD`` (for a setting) or the working folder.

    With ``existing_wins`` (a folder that must exist, like the mirror), of the two candidates the
    one that exists wins, so a value typed relative to the working folder still works; otherwise
    (a cache folder, created on first use) ``$PWD``'s always, so that no kernel keeps a cache of
    its own.  Without ``$PWD`` (not set by every launcher), and for ``from_setting=False`` (a
    command-line option), the working folder.
    """
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    bases = [Path(os.environ["PWD"])] if from_setting and os.environ.get("PWD") else []
    candidates = [(base / path).resolve() for base in [*bases, Path.cwd()]]
    if existing_wins:
        return next((c for c in candidates if c.exists()), candidates[0])
    return candidates[0]


def resolve_setting(name: str) -> Path | None:
    """The folder the environment variable ``name`` names, made absolute and written back; None if unset."""
    value = os.environ.get(name)
    if not value:
        return None
    path = absolute(value, existing_wins=False)
    os.environ[name] = str(path)
    return path


def resolve_data_dirs() -> None:
    """Make ``KERAS_HOME`` and ``TFDS_DATA_DIR`` absolute, in the environment and in Keras and TFDS if imported.

    Keras and TFDS read these variables once, when imported; a value they already read is updated too.
    """
    keras_home = resolve_setting(KERAS_HOME)
    if keras_home is not None and "keras" in sys.modules:
        from keras.src.backend import config

        if not Path(config._KERAS_DIR).expanduser().is_absolute():
            config._KERAS_DIR = str(keras_home)
    data_dir = resolve_setting(TFDS_DATA_DIR)
    if data_dir is not None and "tensorflow_datasets" in sys.modules:
        from tensorflow_datasets.core import constants

        if not Path(constants.DATA_DIR).expanduser().is_absolute():
            constants.DATA_DIR = str(data_dir)
