"""``setup()``: the one call at the top of every notebook, and ``status_report()``: what it installed."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .assets.keras_cache import asset_status, install_mirror, keras_home, mirror_location, status_report, writable
from .assets.locations import resolve_data_dirs
from .assets.random_weights import ENV_VAR as RANDOM_WEIGHTS_VAR
from .assets.random_weights import install_random_weights_guard
from .assets.random_weights import requested as random_weights_requested
from .profiles import DEFAULT_SEED, Settings
from .recording import METRICS_PATH_VAR, set_metrics_path

__all__ = ["setup", "environment_summary", "status_report", "quiet_native_logs"]

#: TensorFlow's start-up lines on a machine without a GPU: true, harmless, and the same in every notebook.
NATIVE_NOISE = re.compile(
    r"absl::InitializeLog"  # the preamble absl prints before its first line
    r"|^[IW]\d{4} .*(oneDNN custom operations|cuda|TF-TRT|TensorRT|computation_placer|Unable to register cu"
    r"|This TensorFlow binary is optimized|rebuild TensorFlow with)"  # information and warnings only
    r"|^To enable the following instructions: .*rebuild TensorFlow with"  # that information's second line
    r"|^E\d{4} .*failed call to cuInit"  # the GPU probe failing on a machine without a GPU
)

#: TensorFlow's hint that a function was traced again (a last, smaller batch; a new model): a
#: performance note for library authors, noise in a lesson's output.
RETRACING = "triggered tf.function retracing"

#: Keras 3 warns on every ``fit`` given a ``tf.data.Dataset`` that its own ``shuffle=True`` is ignored.
#: The course's training datasets shuffle themselves every epoch (lesson 05 explains the warning).
SHUFFLE_IGNORED = r"`shuffle=True` was passed, but will be ignored"


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Hold back TensorFlow's native start-up lines (absl, oneDNN, CUDA probes) while the block runs.

    They are written by C++ straight to file descriptor 2, below Python's ``sys.stderr``, so the
    descriptor is pointed at a temporary file; afterwards every line that is *not* known start-up
    noise is passed on to ``sys.stderr``, so a real error is never swallowed.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no file descriptor 2 (an unusual embedding): nothing to hold back
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().decode(errors="replace").splitlines() if not NATIVE_NOISE.search(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def setup(
    profile: str = "full",
    *,
    seed: int = DEFAULT_SEED,
    metrics_path: str | Path | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    quiet: bool = False,
    **knobs: Any,
) -> Settings:
    """Prepare a notebook: settings, offline assets, download guard, seeds, environment summary.

    - ``profile``, ``overrides`` (this notebook's own values in a profile, e.g. ``{"ci": {"image_size":
      96}}``) and ``knobs`` (``None`` = the profile's value) give the :class:`Settings`.
    - Relative ``KERAS_HOME`` and ``TFDS_DATA_DIR`` settings are made absolute where they were set
      (the shell's folder, ``$PWD``, as for ``COURSE_ASSETS``), not in each kernel's own folder.
    - If ``COURSE_ASSETS`` names a mirror, its files are installed into the Keras cache (fast
      when already there), and a download Keras cannot make fails fast with a clear message.
    - ``get_file(..., extract=True)`` extracts an archive once, whole, under a lock (never again
      under a reading kernel's feet), and a read-only Keras cache is read, not replaced.
    - Python, NumPy, TensorFlow and Keras random generators are seeded with ``seed``.
    - ``metrics_path`` (default: ``$COURSE_METRICS_PATH``, which the harness sets) is where
      :func:`course_utils.record` writes; a learner's run has none.
    - ``$COURSE_RANDOM_WEIGHTS`` (the harness's negative control) leaves ``weights="imagenet"``
      networks at their random initialization (:mod:`course_utils.assets.random_weights`).
    - TensorFlow's C++ runtime logs only errors (``TF_CPP_MIN_LOG_LEVEL=2``, unless already set).
    - TensorFlow's native start-up lines are held back (:func:`quiet_native_logs`), and Keras's
      warning that ``fit(shuffle=True)`` is ignored for a ``tf.data.Dataset`` is silenced: the course's
      training datasets reshuffle themselves (lesson 05).
    """
    settings = Settings(profile, overrides, **knobs)
    set_metrics_path(metrics_path or os.environ.get(METRICS_PATH_VAR) or None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow's first import: its runtime's notes
    resolve_data_dirs()
    mirror = mirror_location()
    install_report = install_mirror(mirror) if mirror is not None else None

    with quiet_native_logs():  # TensorFlow's first import and device probe
        import keras

        from .assets.download_guard import install_download_guard
        from .assets.extraction import install_extraction_guard
        from .assets.read_only_cache import install_read_only_guard

        install_download_guard()
        install_extraction_guard()
        install_read_only_guard()
        if random_weights_requested():
            install_random_weights_guard()
        keras.utils.set_random_seed(seed)
        summary = environment_summary(settings, mirror, install_report, seed)
    warnings.filterwarnings("ignore", message=SHUFFLE_IGNORED, category=UserWarning)
    _drop_retracing_hints()
    if not quiet:
        print(summary)
    return settings


class _RetracingHints(logging.Filter):
    """Drops TensorFlow's retracing hints from its Python logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return RETRACING not in record.getMessage()


def _drop_retracing_hints() -> None:
    """Filter TensorFlow's retracing hints out of its Python logger (once, however often setup runs)."""
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _RetracingHints) for f in logger.filters):
        logger.addFilter(_RetracingHints())


def environment_summary(settings: Settings, mirror: Path | None, install_report: Any, seed: int) -> str:
    """Two lines: what this notebook runs with, and where its weights and data come from.

    Anything that needs the learner's attention (files the mirror could not install, a cache kept
    different, a full disk) follows on lines of its own; the details of a sound setup live in
    ``python -m course_utils doctor`` and ``assets status``.
    """
    import keras
    import tensorflow as tf

    devices = ", ".join(sorted({d.device_type for d in tf.config.list_physical_devices()})) or "no device"
    home = keras_home()
    own = f" (this notebook's own {settings.profile} values: {settings.overridden})" if settings.overridden else ""
    sizes = ", ".join(f"{k}={v}" for k, v in settings.as_dict().items())
    lines = [
        f"Profile {settings.profile!r}: {sizes}{own}; seed {seed}. "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__} ({keras.backend.backend()}) on {devices}.",
    ]
    if random_weights_requested():
        lines.append(
            f"Random weights ({RANDOM_WEIGHTS_VAR} is set: the harness's negative control): networks built "
            'with weights="imagenet" keep their random initialization.'
        )
    read_only = "" if writable(home) else " (read only)"
    if mirror is None:
        lines.append(f"Weights and data: downloaded by Keras into {home}{read_only} (no COURSE_ASSETS mirror is set).")
        return "\n".join(lines)
    reconstructed = len(  # files, not names: an alias is the same file under another name
        {
            row.entry.filename
            for row in asset_status(mirror, home)
            if not row.entry.is_official and row.state == "installed"
        }
    )
    lines.append(
        f"Weights and data: the course's asset mirror, in the Keras cache {home}{read_only}"
        + (
            f"; {reconstructed} of its files are faithful reconstructions, not the official downloads, "
            "so numbers can differ a little from online runs (python -m course_utils assets status says which)."
            if reconstructed
            else "."
        )
    )
    if install_report.failed or install_report.kept_different:
        lines.append(install_report.summary())
    return "\n".join(lines)
