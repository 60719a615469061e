"""What a run was made with: the commit of the course and the versions of the packages that compute.

Recorded in every run report (``build/last_run.<profile>.json``) and in the course edition, so a
number can be traced to the code and the libraries that produced it.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .paths import ROOT

#: The packages whose versions can move a measured number or change what a notebook shows.
PACKAGES = ("tensorflow", "keras", "numpy", "tensorflow-datasets", "matplotlib", "ipykernel", "papermill")

#: Folders whose uncommitted changes make a run's commit an incomplete description of its code.
CODE_FOLDERS = ("notebooks", "solutions", "course_utils", "tests/thresholds.toml")


#: How :func:`package_versions` shows a package that is not installed.
NOT_INSTALLED = "not installed"


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """``{"tensorflow": "2.21.0", ...}``; a package that is not installed shows as :data:`NOT_INSTALLED`."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = NOT_INSTALLED
    return versions


def accelerators() -> str:
    """``"GPU"`` or ``"no GPU"`` as TensorFlow sees this machine, or ``"unknown (...)"`` with the reason
    when TensorFlow cannot be asked: a failed import says nothing about the hardware."""

    def reason(error: Exception) -> str:
        return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}"

    from ..notebook_setup import quiet_native_logs

    with quiet_native_logs():  # TensorFlow's start-up lines (absl, oneDNN, CUDA probes) are not the report's
        try:
            import tensorflow as tf
        except Exception as error:  # a broken install: say so, do not guess
            return f"unknown (TensorFlow failed to import: {reason(error)})"
        try:
            gpus = tf.config.list_physical_devices("GPU")
        except Exception as error:
            return f"unknown (TensorFlow could not list its devices: {reason(error)})"
    return "GPU" if gpus else "no GPU"


def machine_description() -> str:
    """``"x86_64, 2 CPU cores, no GPU"``: the machine line of a run report and of the edition."""
    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {accelerators()}"


def course_commit(root: Path = ROOT) -> str:
    """The clone's commit (short hash), ``"+changes"`` appended when the course's code differs from it.

    ``""`` outside a git clone (an unpacked archive), where no commit can be named.
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        changed = git("status", "--porcelain", "--", *CODE_FOLDERS)
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+changes" if changed else "")
