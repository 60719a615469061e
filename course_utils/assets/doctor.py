"""``python -m course_utils doctor``: is this machine ready for the course, and if not, what to do."""

from __future__ import annotations

import importlib.metadata as metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from .catalog import course_catalog
from .keras_cache import ENV_VAR, asset_status, keras_home, mirror_location, writable
from .manifest import AssetEntry, AssetError, sha256_of

DISTRIBUTION = "course-utils"  # the name pyproject.toml gives the course's package
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
ESSENTIAL_FILES = (
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5",
    "imagenet_class_index.json",
    "cats_and_dogs_filtered.zip",
)
MIN_FREE_GB, LOW_FREE_GB = 1.0, 5.0
#: The most memory one lesson's kernel held at its peak, in GB, measured by the harness (tooling/memory.py;
#: TEACHING.md lists every lesson's) on 2026-12-07, every lesson in both profiles: in ``quick`` lesson 08 (2.9 GB),
#: in ``full`` lesson 01 (5.8 GB; then 08 4.8 GB, 04 4.7 GB).  A laptop needs that much available.
QUICK_PEAK_GB, FULL_PEAK_GB = 2.9, 5.8
NOTEBOOK_KERNEL = "python3"  # the kernel every notebook names (tooling.harness.KERNEL), JupyterLab's default
KERNEL_PROBE_TIMEOUT_S = 20.0
# Run on a kernel's interpreter: its environment first, then whether a kernel can start on it at all.
_KERNEL_PROBE = "import sys; print(sys.prefix, flush=True); import ipykernel"
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
    """Whether JupyterLab's ``python3`` kernel, the one the notebooks name, starts in this environment.

    The kernel's interpreter is asked for its ``sys.prefix`` (and to import ipykernel): comparing
    interpreter paths would not do, as a virtual environment's ``python`` is a link to its base
    interpreter, shared by every environment made from it.
    """
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return Finding("fail", "jupyter kernel", f"jupyter_client missing — {INSTALL_HINT}")
    try:
        spec = KernelSpecManager().get_kernel_spec(NOTEBOOK_KERNEL)
    except NoSuchKernel:
        return Finding(
            "fail",
            "jupyter kernel",
            f"no '{NOTEBOOK_KERNEL}' kernel: run '{sys.executable} -m ipykernel install --sys-prefix'",
        )
    command = spec.argv[0] if spec.argv else ""
    where = f"JupyterLab's '{NOTEBOOK_KERNEL}' kernel ({spec.resource_dir})"
    interpreter = kernel_interpreter(command)
    if interpreter is None:
        missing = "is not on PATH" if command and not os.path.dirname(command) else "does not exist"
        return Finding(
            "fail", "jupyter kernel", f"{where} starts {command!r}, which {missing} — {_kernel_fix(spec.resource_dir)}"
        )
    try:
        probe = subprocess.run(
            [interpreter, "-c", _KERNEL_PROBE],
            capture_output=True,
            text=True,
            timeout=KERNEL_PROBE_TIMEOUT_S,
            env={**os.environ, **spec.env},
        )
    except subprocess.TimeoutExpired:
        return Finding(
            "warn", "jupyter kernel", f"{where}: {interpreter} did not answer within {KERNEL_PROBE_TIMEOUT_S:.0f} s"
        )
    except OSError as error:
        return Finding(
            "fail", "jupyter kernel", f"{where} cannot run {interpreter} ({error}) — {_kernel_fix(spec.resource_dir)}"
        )
    prefix = (probe.stdout.splitlines() or [""])[0].strip()  # the probe's first line
    if probe.returncode != 0:
        last_line = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        why = "has no ipykernel" if "ipykernel" in probe.stderr else f"fails ({last_line})"
        return Finding(
            "fail",
            "jupyter kernel",
            f"{where} cannot start: {interpreter} {why} — {_kernel_fix(spec.resource_dir, prefix)}",
        )
    if not prefix or Path(prefix).resolve() != Path(sys.prefix).resolve():
        return Finding(
            "warn",
            "jupyter kernel",
            f"{where} runs {interpreter}, not this environment ({sys.prefix}): the lessons would run with "
            f"that environment's TensorFlow and course_utils — {_kernel_fix(spec.resource_dir, prefix)}",
        )
    return Finding("ok", "jupyter kernel", f"{NOTEBOOK_KERNEL} runs this environment ({interpreter})")


def kernel_interpreter(command: str) -> str | None:
    """The interpreter a kernelspec's ``argv[0]`` starts, found the way Jupyter finds it; None if there is none.

    jupyter_client starts a bare ``python``, ``python3`` or ``python3.X`` of its own version on its
    own interpreter (JupyterLab's: this one, when JupyterLab runs from this environment); any
    other name is looked up on ``PATH``.
    """
    major, minor = sys.version_info[:2]
    if command in {"python", f"python{major}", f"python{major}.{minor}"}:
        return sys.executable
    return shutil.which(command) if command else None


def _kernel_fix(spec_dir: str, prefix: str = "") -> str:
    """How to make the notebooks' kernel this environment's, given the kernelspec folder Jupyter found.

    ``prefix``: the ``sys.prefix`` of the kernel's interpreter, if it told.
    """
    if prefix and Path(prefix).resolve() == Path(sys.prefix).resolve():
        return INSTALL_HINT  # the kernel is this environment's own: the environment lacks ipykernel
    from jupyter_core.paths import prefer_environment_over_user

    jupyter_path = [Path(p).resolve() for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if any(Path(spec_dir).resolve().is_relative_to(folder) for folder in jupyter_path):
        return (
            f"it comes from JUPYTER_PATH ({os.environ['JUPYTER_PATH']}), which Jupyter searches first: "
            f"delete {spec_dir} or take its folder out of JUPYTER_PATH"
        )
    scope = "--sys-prefix" if prefer_environment_over_user() else "--user"
    return (
        f"run '{sys.executable} -m ipykernel install {scope}' to make it this environment's, "
        "and start JupyterLab from this environment"
    )


def asset_findings(verify: bool = False) -> list[Finding]:
    """The Keras cache against the mirror (or, without one, what the course needs and the network).

    With a mirror, every cached file is checked against the mirror's sha256 (files unchanged since
    the installer hashed them are taken from its records; ``verify`` hashes them all again), and
    the mirror's copy of every file not installed yet is checked against its manifest.
    """
    from .download_guard import can_reach

    try:
        home = keras_home()
        if home.exists() and not home.is_dir():
            return [Finding("fail", "keras cache", _keras_home_is_a_file(home))]
        mirror = mirror_location()
        rows = asset_status(mirror, home, verify=verify) if mirror is not None else []
    except AssetError as error:
        return [Finding("fail", "assets", str(error))]
    findings = [
        Finding("ok", "keras cache", str(home))
        if writable(home)
        else Finding("warn", "keras cache", f"{home} is not writable: lessons read what it holds, nothing can be added")
    ]
    broken = {}  # mirror file -> why 'assets install' cannot install it
    if mirror is not None:
        for row in rows:
            if not row.ok and row.entry.mirror_path not in broken:
                broken[row.entry.mirror_path] = mirror_copy_problem(mirror, row.entry)
        broken = {path: why for path, why in broken.items() if why is not None}
        if broken:
            findings.append(Finding("fail", "assets", _damaged_mirror_message(mirror, broken)))
        damaged = [
            row.cache_path
            for row in rows
            if row.state == "differs from mirror" and row.entry.mirror_path not in broken  # else keep it
        ]
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
        unavailable = {row.entry.filename for row in rows if row.entry.mirror_path in broken}
        installable = [name for name in missing if name not in unavailable]
        if installable:
            findings.append(
                Finding(
                    "warn",
                    "assets",
                    f"{len(installable)} essential file(s) not cached yet; "
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


def mirror_copy_problem(mirror: Path, entry: AssetEntry) -> str | None:
    """Why the mirror's copy of ``entry`` cannot be installed (missing, or not what its manifest says); None if it can."""
    path = mirror / entry.mirror_path
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if entry.bytes is not None and size != entry.bytes:
        return f"damaged ({size} bytes, the manifest says {entry.bytes})"
    if entry.sha256 is not None:
        digest = sha256_of(path)
        if digest != entry.sha256:
            return f"damaged (sha256 {digest[:12]}…, the manifest says {entry.sha256[:12]}…)"
    return None


def _damaged_mirror_message(mirror: Path, broken: dict[str, str]) -> str:
    """What to do when files of the mirror itself are damaged or missing: 'assets install' cannot help."""
    it = "it" if len(broken) == 1 else "them"
    what = "; ".join(f"the mirror's copy of {path} is {why}" for path, why in sorted(broken.items()))
    return (
        f"{what} (mirror {mirror}): 'assets install' cannot install {it} — copy {it} again from where the "
        f"mirror came from (or re-run 'python -m course_utils assets fetch' there), then run "
        "'python -m course_utils assets install'"
    )


def _keras_home_is_a_file(home: Path) -> str:
    """The fix for a Keras cache path that names a file."""
    if os.environ.get("KERAS_HOME"):
        return (
            f"KERAS_HOME ({home}) is a file, not a folder: Keras cannot cache weights and datasets in it — "
            "point KERAS_HOME at a folder (a new one is fine), or unset it to use ~/.keras"
        )
    return f"the Keras cache {home} is a file, not a folder — move that file away, or point KERAS_HOME at a folder"


def disk_finding(path: Path | None = None) -> Finding:
    path = path or keras_home()
    path = next((folder for folder in (path, *path.parents) if folder.is_dir()), path)  # KERAS_HOME may be a file
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


def memory_finding(total_gb: float | None = None, available_gb: float | None = None) -> Finding:
    """The machine's memory against the lessons' measured peaks: enough for ``full``, only ``quick``, or too little."""
    import psutil

    memory = psutil.virtual_memory()
    total_gb = memory.total / 1e9 if total_gb is None else total_gb
    available_gb = memory.available / 1e9 if available_gb is None else available_gb
    held = f"{available_gb:.1f} GB of {total_gb:.1f} GB memory available"
    if available_gb < QUICK_PEAK_GB:
        return Finding(
            "fail" if total_gb < QUICK_PEAK_GB else "warn",
            "memory",
            f"{held}; the heaviest lesson needs about {QUICK_PEAK_GB:.1f} GB even in the quick profile — "
            + (
                "this machine cannot run it: read that lesson in the edition (edition/) instead"
                if total_gb < QUICK_PEAK_GB
                else "close other programs (a browser holds 1-2 GB) before running a lesson"
            ),
        )
    if available_gb < FULL_PEAK_GB:
        return Finding(
            "warn",
            "memory",
            f'{held}: enough for PROFILE = "quick"; the heaviest lesson in "full" peaks at about {FULL_PEAK_GB:.1f} GB',
        )
    return Finding("ok", "memory", f"{held} (the heaviest lesson peaks at about {FULL_PEAK_GB:.1f} GB)")


def diagnose(verify: bool = False) -> list[Finding]:
    """Every finding about this machine; blocking problems have level ``fail``."""
    return [
        python_finding(),
        package_finding("tensorflow"),
        package_finding("keras"),
        kernel_finding(),
        *asset_findings(verify),
        disk_finding(),
        memory_finding(),
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
