"""``python -m course_utils doctor``: is this machine ready for the course, and if not, what to do."""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from .catalog import course_catalog
from .keras_cache import ENV_VAR, asset_status, keras_home, mirror_location
from .manifest import AssetError

DISTRIBUTION = "course-utils"  # the name pyproject.toml gives the course's package
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
ESSENTIAL_FILES = (
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
    "imagenet_class_index.json",
    "cats_and_dogs_filtered.zip",
)
MIN_FREE_GB, LOW_FREE_GB = 1.0, 5.0
INSTALL_HINT = "install the course: see the README's install command"


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warn" or "fail" (fail = blocking)
    topic: str
    message: str

    def __str__(self) -> str:
        return f"[{self.level.upper():4}] {self.topic}: {self.message}"


def declared_bounds() -> tuple[SpecifierSet, dict[str, SpecifierSet]]:
    """The Python versions and dependency bounds the course declares, read from one source.

    That source is ``pyproject.toml``: through the installed package's metadata, or, when the
    package is not installed (a plain clone), from the file itself.
    """
    try:
        python = metadata.metadata(DISTRIBUTION)["Requires-Python"] or ""
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
        python, requirements = project.get("requires-python", ""), project.get("dependencies", [])
    bounds = {}
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue  # an optional extra's package (the site's Sphinx, say): not what the lessons need
        bounds[requirement.name.lower()] = requirement.specifier
    return SpecifierSet(python), bounds


def python_finding() -> Finding:
    supported, _ = declared_bounds()
    version = ".".join(map(str, sys.version_info[:3]))
    if supported.contains(version):
        return Finding("ok", "python", version)
    return Finding(
        "fail",
        "python",
        f"{version} is outside {supported}, which TensorFlow supports; "
        "create the virtual environment with a supported Python",
    )


def package_finding(name: str) -> Finding:
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Finding("fail", name, f"not installed — {INSTALL_HINT}")
    if name == "keras" and not version.startswith("3."):
        return Finding("fail", name, f"{version} installed; the course needs Keras 3 — {INSTALL_HINT}")
    tested = declared_bounds()[1].get(name, SpecifierSet())
    if not tested.contains(version, prereleases=True):
        return Finding(
            "warn",
            name,
            f"{version} is outside the tested range {tested}; lessons may run but measured numbers can differ",
        )
    return Finding("ok", name, version)


def kernel_finding() -> Finding:
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return Finding("fail", "jupyter kernel", f"jupyter_client missing — {INSTALL_HINT}")
    specs = KernelSpecManager().find_kernel_specs()
    if "python3" in specs:
        return Finding("ok", "jupyter kernel", f"python3 ({specs['python3']})")
    return Finding(
        "fail",
        "jupyter kernel",
        "no 'python3' kernel: run 'python -m ipykernel install --sys-prefix' inside the course's environment",
    )


def asset_findings(verify: bool = False) -> list[Finding]:
    """The Keras cache against the mirror (or, without one, what the course needs and the network).

    With a mirror, every cached file is checked against the mirror's sha256 (files unchanged since
    the installer hashed them are taken from its records; ``verify`` hashes them all again).
    """
    from .download_guard import can_reach

    try:
        mirror = mirror_location()
        rows = asset_status(mirror, verify=verify) if mirror is not None else []
    except AssetError as error:
        return [Finding("fail", "assets", str(error))]
    home = keras_home()
    findings = [Finding("ok", "keras cache", str(home))]
    if mirror is not None:
        damaged = [row.cache_path for row in rows if row.state == "differs from mirror"]
        if damaged:
            findings.append(
                Finding(
                    "fail",
                    "assets",
                    f"{len(damaged)} cached file(s) differ from the mirror's: {', '.join(damaged)}. A file of "
                    "your own (an official download) is fine to keep; a damaged one breaks its lesson — delete "
                    "it and run 'python -m course_utils assets install'",
                )
            )
    entries = {entry.filename: entry for entry in course_catalog()}
    missing = [name for name in ESSENTIAL_FILES if not (home / next(entries[name].cache_paths())).is_file()]
    if not missing:
        checked = "checked against the mirror" if mirror is not None else "present (no mirror to check against)"
        findings.append(Finding("ok", "assets", f"ImageNet weights, class index and datasets are cached, {checked}"))
    elif mirror is not None:
        findings.append(
            Finding(
                "warn",
                "assets",
                f"{len(missing)} essential file(s) not cached yet; "
                "run 'python -m course_utils assets install' (setup() also does it)",
            )
        )
    elif can_reach(entries[missing[0]].origin):
        findings.append(
            Finding(
                "ok",
                "assets",
                f"{len(missing)} file(s) not cached; Keras will download them on first use (internet is reachable)",
            )
        )
    else:
        findings.append(
            Finding(
                "fail",
                "assets",
                f"offline and {', '.join(missing)} not cached: set "
                f"{ENV_VAR} to an asset mirror, or connect to the internet once",
            )
        )
    return findings


def disk_finding(path: Path | None = None) -> Finding:
    path = path or keras_home()
    free_gb = shutil.disk_usage(path).free / 1e9
    if free_gb < MIN_FREE_GB:
        return Finding(
            "fail",
            "disk",
            f"{free_gb:.1f} GB free at {path}; the course needs about "
            f"{MIN_FREE_GB:.0f} GB for weights, datasets and executed notebooks — free some space",
        )
    if free_gb < LOW_FREE_GB:
        return Finding("warn", "disk", f"only {free_gb:.1f} GB free at {path}")
    return Finding("ok", "disk", f"{free_gb:.0f} GB free at {path}")


def diagnose(verify: bool = False) -> list[Finding]:
    """Every finding about this machine; blocking problems have level ``fail``."""
    return [
        python_finding(),
        package_finding("tensorflow"),
        package_finding("keras"),
        kernel_finding(),
        *asset_findings(verify),
        disk_finding(),
    ]


def run_doctor(verify: bool = False) -> int:
    """Print the findings; exit status 1 if any is blocking."""
    findings = diagnose(verify)
    for finding in findings:
        print(finding)
    blocking = [f for f in findings if f.level == "fail"]
    warnings = [f for f in findings if f.level == "warn"]
    if blocking:
        print(f"\n{len(blocking)} blocking problem(s).")
    elif warnings:
        print(f"\nReady for the course, with {len(warnings)} warning(s) above.")
    else:
        print("\nReady for the course.")
    return 1 if blocking else 0
