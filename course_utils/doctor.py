"""``python -m course_utils doctor``: is this machine ready for the course, and if not, what to do."""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .assets import ENV_VAR, keras_home, mirror_location
from .catalog import course_catalog
from .manifest import AssetError

# Versions the course is measured on; pyproject.toml bounds the install the same way.
SUPPORTED_PYTHON = ((3, 10), (3, 13))
TESTED = {"tensorflow": ("2.18", "2.22"), "keras": ("3.8", "3.16")}
ESSENTIAL_FILES = ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
                   "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
                   "imagenet_class_index.json", "cats_and_dogs_filtered.zip")
MIN_FREE_GB, LOW_FREE_GB = 1.0, 5.0
INSTALL_HINT = "install the course: see the README's install command"


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "fail" (fail = blocking)
    topic: str
    message: str

    def __str__(self) -> str:
        return f"[{self.level.upper():4}] {self.topic}: {self.message}"


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def check_python() -> Finding:
    low, high = SUPPORTED_PYTHON
    here = sys.version_info[:2]
    version = ".".join(map(str, here))
    if low <= here <= high:
        return Finding("ok", "python", version)
    return Finding("fail", "python", f"{version} is outside {low[0]}.{low[1]}–{high[0]}.{high[1]}, "
                   "which TensorFlow supports; create the virtual environment with a supported Python")


def check_package(name: str) -> Finding:
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Finding("fail", name, f"not installed — {INSTALL_HINT}")
    low, high = TESTED[name]
    if name == "keras" and not version.startswith("3."):
        return Finding("fail", name, f"{version} installed; the course needs Keras 3 — {INSTALL_HINT}")
    if not _version_tuple(low) <= _version_tuple(version) < _version_tuple(high):
        return Finding("warn", name, f"{version} is outside the tested range [{low}, {high}); "
                       "lessons may run but measured numbers can differ")
    return Finding("ok", name, version)


def check_kernel() -> Finding:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return Finding("fail", "jupyter kernel", f"jupyter_client missing — {INSTALL_HINT}")
    specs = KernelSpecManager().find_kernel_specs()
    if "python3" in specs:
        return Finding("ok", "jupyter kernel", f"python3 ({specs['python3']})")
    return Finding("fail", "jupyter kernel", "no 'python3' kernel: run "
                   "'python -m ipykernel install --sys-prefix' inside the course's environment")


def check_assets() -> list[Finding]:
    from .offline import can_reach

    try:
        mirror = mirror_location()
    except AssetError as error:
        return [Finding("fail", "assets", str(error))]
    home = keras_home()
    entries = {entry.filename: entry for entry in course_catalog()}
    missing = [name for name in ESSENTIAL_FILES if not (home / next(entries[name].cache_paths())).is_file()]
    findings = [Finding("ok", "keras cache", str(home))]
    if not missing:
        findings.append(Finding("ok", "assets", "ImageNet weights, class index and datasets are cached"))
    elif mirror is not None:
        findings.append(Finding("warn", "assets", f"{len(missing)} essential file(s) not cached yet; "
                                "run 'python -m course_utils assets install' (setup() also does it)"))
    elif can_reach(entries[missing[0]].origin):
        findings.append(Finding("ok", "assets", f"{len(missing)} file(s) not cached; Keras will download "
                                "them on first use (internet is reachable)"))
    else:
        findings.append(Finding("fail", "assets", f"offline and {', '.join(missing)} not cached: set "
                                f"{ENV_VAR} to an asset mirror, or connect to the internet once"))
    return findings


def check_disk(path: Path | None = None) -> Finding:
    path = path or keras_home()
    free_gb = shutil.disk_usage(path).free / 1e9
    if free_gb < MIN_FREE_GB:
        return Finding("fail", "disk", f"{free_gb:.1f} GB free at {path}; the course needs about "
                       f"{MIN_FREE_GB:.0f} GB for weights, datasets and executed notebooks — free some space")
    if free_gb < LOW_FREE_GB:
        return Finding("warn", "disk", f"only {free_gb:.1f} GB free at {path}")
    return Finding("ok", "disk", f"{free_gb:.0f} GB free at {path}")


def diagnose() -> list[Finding]:
    """Run every check; blocking problems have level ``fail``."""
    return [check_python(), check_package("tensorflow"), check_package("keras"), check_kernel(),
            *check_assets(), check_disk()]


def run_doctor() -> int:
    """Print the findings; exit status 1 if any is blocking."""
    findings = diagnose()
    for finding in findings:
        print(finding)
    blocking = [f for f in findings if f.level == "fail"]
    print(f"\n{len(blocking)} blocking problem(s)." if blocking else "\nReady for the course.")
    return 1 if blocking else 0
