"""A workshop pack: one folder that installs the course with no network (``python -m course_utils pack build``).

Instructors copy it to USB sticks for a room without Wi-Fi; ``python3 install.py --target DIR`` in it installs
the course (:mod:`.workshop_install`, copied in as ``install.py``). The folder holds, as ``pack.json`` describes:

- ``course-<commit>.tar.gz``: ``git archive HEAD``, the committed ``edition/`` (the executed lessons) included;
  uncommitted changes are not in it, so the build refuses a work tree that has some unless told to leave them out;
- ``assets/``: a copy of the asset mirror ``$COURSE_ASSETS`` names (the setting :mod:`course_utils.assets`
  reads), checked against its ``manifest.json``;
- ``wheels/cpXY-<platform>/``: every package the README's install command needs, for this interpreter and
  machine (``pip download`` of the course's requirements, pip, setuptools and wheel included); a package PyPI
  has only as source (TFDS's ``promise``) is built into a wheel here (``pip wheel``), so installing builds nothing;
  optionally more for other platforms and Pythons (``pip download --only-binary=:all: --platform ...``);
- ``site/``: the course's website, if ``build/site/html`` exists;
- ``install.py``, ``INSTALL.md`` and ``SHA256SUMS`` (``sha256sum`` format, every file), written last.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import parse_sdist_filename

from ..assets.keras_cache import ENV_VAR
from ..assets.manifest import MANIFEST_NAME as MIRROR_MANIFEST
from ..assets.manifest import AssetError, Manifest, sha256_of
from . import workshop_install
from .paths import REPORT_DIR, ROOT, require_root
from .wheel_tags import (
    UnknownPlatform,
    compatible_platforms,
    host_download_tag,
    host_platform,
    missing_requirements,
    platform_floor,
    platform_parts,
    python_release,
    target_environment,
    wheels_by_name,
)
from .workshop_install import MANIFEST_NAME, PACK_FORMAT, SUMS_NAME

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_OUT = REPORT_DIR / "workshop-pack"
COURSE_FOLDER = "keras-transfer-learning"  # what the installer unpacks the course as
ASSETS, WHEELS, SITE = "assets", "wheels", "site"
SITE_SOURCE = Path("build") / "site" / "html"  # what `python -m course_utils site build` writes, in the course
INSTALLER = Path(workshop_install.__file__)
TOOLS = ("pip", "setuptools", "wheel")  # so the offline venv upgrades pip and builds the editable install
PIP_OUTPUT_SHOWN = ("Saved ", "Successfully", "ERROR", "WARNING: The")  # pip's lines worth a console line
COMPLETION_ROUNDS = 6
PURE_PYTHON = "none-any"


class PackError(RuntimeError):
    """The pack cannot be built; the message says what is wrong and how to fix it."""


@dataclass
class Wheelhouse:
    """One folder of wheels under ``wheels/``, as ``pack.json`` lists it and the installer chooses it."""

    folder: str  # relative to the pack: wheels/cp311-linux_x86_64
    python: str  # "3.11"
    platform: str  # the platform tag pip downloaded for (this machine's: sysconfig's, e.g. linux_x86_64)
    system: str  # linux, darwin, windows
    machine: str  # x86_64, arm64, universal2
    files: int = 0
    bytes: int = 0
    needs: str | None = None  # "glibc 2.28" or "macOS 11.0": the oldest system every wheel runs on
    checked: bool = False  # the course was resolved from it alone here (pip install --dry-run --no-index)


# --- the course at its commit ------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    except OSError as error:
        raise PackError(f"git cannot run ({error}): the pack holds the course at its commit; install git.") from None
    if result.returncode != 0:
        raise PackError(
            f"git {' '.join(args)} failed in {root}: {result.stderr.strip()}. The pack holds the course at its git "
            "commit: build it in a git clone of the course."
        )
    return result.stdout


def uncommitted_changes(root: Path) -> list[str]:
    """Every path ``git status`` reports (changed, staged, untracked): none of them would be in the pack."""
    return [line[3:] for line in _git(root, "status", "--porcelain", "--untracked-files=normal").splitlines()]


def check_committed(root: Path, allow_uncommitted: bool) -> list[str]:
    """Refuse a work tree with uncommitted changes (the pack holds HEAD), or, if allowed, warn and name them."""
    changes = uncommitted_changes(root)
    if not changes:
        return []
    shown = ", ".join(changes[:8]) + (f" and {len(changes) - 8} more" if len(changes) > 8 else "")
    if not allow_uncommitted:
        raise PackError(
            f"The work tree has {len(changes)} uncommitted change(s) ({shown}). The pack holds the course at its "
            "commit (HEAD), without them: commit them first, or pass --allow-uncommitted to pack HEAD as it is."
        )
    print(f"warning: the pack holds HEAD; {len(changes)} uncommitted change(s) are left out: {shown}", file=sys.stderr)
    return changes


def archive_course(root: Path, pack: Path) -> tuple[str, str]:
    """``git archive HEAD`` into the pack as ``course-<commit>.tar.gz`` under ``COURSE_FOLDER/``; (name, commit)."""
    commit = _git(root, "rev-parse", "HEAD").strip()
    name = f"course-{commit[:12]}.tar.gz"
    _git(root, "archive", "--format=tar.gz", f"--prefix={COURSE_FOLDER}/", "-o", str(pack / name), "HEAD")
    return name, commit


def course_requirements(archive: Path) -> list[str]:
    """What installing the archived course needs: pip, its build system's and its project's requirements.

    Read from the ``pyproject.toml`` in the archive, the commit the pack installs, not from the work tree.
    """
    with tarfile.open(archive) as tar:
        try:
            project = tomllib.loads(tar.extractfile(f"{COURSE_FOLDER}/pyproject.toml").read().decode("utf-8"))
        except KeyError:
            raise PackError(
                f"HEAD has no pyproject.toml ({archive}): build the pack from a commit of the course."
            ) from None
    build = project.get("build-system", {}).get("requires", [])
    needed = [*TOOLS, *build, *project.get("project", {}).get("dependencies", [])]
    return list(dict.fromkeys(needed))  # in order, once each


# --- the asset mirror ------------------------------------------------------------------------------------


def mirror_source() -> Path:
    """The asset mirror to pack: the folder ``$COURSE_ASSETS`` names, with its ``manifest.json``."""
    value = os.environ.get(ENV_VAR)
    fetch = "build one while online with 'python -m course_utils assets fetch --to DIR'"
    if not value:
        raise PackError(
            f"{ENV_VAR} is not set: the pack copies the asset mirror it names. Set {ENV_VAR}=DIR to the folder "
            f"that holds manifest.json and keras/ (or {fetch})."
        )
    path = Path(value).expanduser().resolve()
    if not (path / MIRROR_MANIFEST).is_file():
        what = "does not exist" if not path.exists() else f"has no {MIRROR_MANIFEST}"
        raise PackError(f"{ENV_VAR}={value}: {path} {what}. Point {ENV_VAR} at an asset mirror, or {fetch}.")
    return path


def copy_tree(source: Path, dest: Path) -> int:
    """Copy the files under ``source`` to ``dest`` (contents only: a read-only mirror's modes stay behind)."""
    count = 0
    for folder, _, names in os.walk(source):
        here = dest / Path(folder).relative_to(source)
        here.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(Path(folder) / name, here / name)
            count += 1
    return count


def copy_mirror(source: Path, dest: Path) -> int:
    """Copy the mirror and check the copy against its manifest; returns the number of files copied."""
    count = copy_tree(source, dest)
    try:
        manifest = Manifest.load(dest)
    except AssetError as error:
        raise PackError(str(error)) from None
    bad = [
        entry.mirror_path
        for entry in manifest.files
        if not (dest / entry.mirror_path).is_file()
        or (entry.sha256 is not None and sha256_of(dest / entry.mirror_path) != entry.sha256)
    ]
    if bad:
        raise PackError(
            f"The mirror {source} has {len(bad)} file(s) missing or unlike its manifest: {', '.join(bad)}. "
            "Repair it first ('python -m course_utils assets fetch --to DIR' while online), then build the pack."
        )
    return count


# --- wheels ----------------------------------------------------------------------------------------------


#: How pip is run: ``sys.argv[1]`` a pip wheel to run (empty: this interpreter's pip), ``sys.argv[2]`` environment
#: markers to resolve for, as JSON (``{}``: this machine's). ``pip download --platform`` evaluates markers for the
#: machine it runs on: for Windows it would ask for ``array_record``, which TFDS needs only where
#: ``platform_system == "Linux"`` and which has no Windows wheel. A pip without this module is run as it is, and
#: :func:`missing_requirements` then completes what it left out.
PIP_RUNNER = """
import json, runpy, sys
wheel, environment = sys.argv[1], json.loads(sys.argv[2])
del sys.argv[1:3]
if wheel:
    sys.path.insert(0, wheel)
if environment:
    try:
        from pip._vendor.packaging import markers
    except ImportError:
        pass
    else:
        default = markers.default_environment
        markers.default_environment = lambda: {**default(), **environment}
sys.argv[0] = "pip"
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""


def run_pip(
    args: Sequence[str],
    env: dict[str, str] | None = None,
    markers: dict[str, str] | None = None,
    wheel: Path | None = None,
) -> tuple[int, str]:
    """pip with ``args``: its exit status and the last lines it printed.

    ``wheel``: a pip wheel to run instead of this interpreter's pip (the pack's own, current: an old pip
    backtracks for many minutes over the course's requirements). ``markers``: the environment markers to
    resolve dependencies for (another platform's) instead of this machine's. The lines that show progress
    (a file saved, an error) are printed as they come.
    """
    command = [sys.executable, "-c", PIP_RUNNER, str(wheel or ""), json.dumps(markers or {}), *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    tail: deque[str] = deque(maxlen=60)
    assert process.stdout is not None
    for line in process.stdout:
        tail.append(line)
        if line.lstrip().startswith(PIP_OUTPUT_SHOWN):
            print("    " + line.strip(), flush=True)
    return process.wait(), "".join(tail)


def _pip_or_fail(args: Sequence[str], what: str, env: dict[str, str] | None = None, wheel: Path | None = None) -> None:
    code, tail = run_pip(args, env, wheel=wheel)
    if code != 0:
        raise PackError(f"{what}: pip stopped (exit {code}). Its last lines:\n{tail.rstrip()}")


def build_sdists(folder: Path, pip: Path) -> list[str]:
    """Build a wheel of every source distribution in ``folder`` (``pip wheel``), which then replaces it.

    Returns a note per package: installing from the pack then builds nothing, and a pure-Python
    wheel serves every platform's wheelhouse.
    """
    notes = []
    for sdist in sorted([*folder.glob("*.tar.gz"), *folder.glob("*.zip")]):
        name, version = parse_sdist_filename(sdist.name)
        wheel_args = ["wheel", "--no-deps", "--progress-bar", "off", "-w", folder, sdist]
        _pip_or_fail(wheel_args, f"building {sdist.name}", wheel=pip)
        built = [path for v, path in wheels_by_name(folder).get(name, []) if v == version]
        if not built:
            raise PackError(f"pip wheel {sdist.name} left no wheel of {name} {version} in {folder}")
        sdist.unlink()
        reach = "pure Python: it works on every platform" if PURE_PYTHON in built[0].name else "for this platform only"
        notes.append(f"{name} {version}: PyPI has only its source; built here into {built[0].name} ({reach}).")
    return notes


def download_host(
    pack: Path, requirements_file: Path, requirements: list[str], course: Path
) -> tuple[Wheelhouse, list[str]]:
    """The wheelhouse for this interpreter and machine, checked to install the course offline; (it, notes)."""
    system, machine = workshop_install.this_machine()[1:]
    folder_name = f"{WHEELS}/cp{python_release().replace('.', '')}-{host_platform()}"
    house = Wheelhouse(folder_name, python_release(), host_platform(), system, machine)
    folder = pack / house.folder
    folder.mkdir(parents=True)
    print(f"Downloading the wheels for this machine ({house.folder}) ...", flush=True)
    pip = bootstrap_pip(folder)
    _pip_or_fail(
        ["download", "--progress-bar", "off", "-d", folder, "-r", requirements_file], "pip download", wheel=pip
    )
    notes = build_sdists(folder, pip)
    missing = missing_requirements(folder, requirements, default_environment())
    if missing:
        raise PackError(f"{house.folder} lacks {', '.join(missing)} after pip download: build the pack again.")
    check_offline_install(folder, course, pip)
    house.checked = True
    return house, notes


def bootstrap_pip(folder: Path) -> Path:
    """Download the current pip's wheel into ``folder``; the pack's pip, which then does every download."""
    _pip_or_fail(["download", "--progress-bar", "off", "--no-deps", "--only-binary=:all:", "-d", folder, "pip"], "pip")
    wheels = wheels_by_name(folder).get("pip")
    if not wheels:
        raise PackError(f"pip download pip left no pip wheel in {folder}")
    return wheels[0][1]


def check_offline_install(folder: Path, course: Path, pip: Path) -> None:
    """Resolve the course's install from ``folder`` alone, as the installer will (``pip install --dry-run``)."""
    env = workshop_install.pip_environment()
    args = ["install", "--dry-run", "--ignore-installed", "--no-index", "--find-links", folder, course]
    print("Checking that the course installs from those wheels alone (pip install --dry-run --no-index) ...")
    _pip_or_fail(args, f"the course does not install from {folder} alone", env, wheel=pip)


def download_for(
    pack: Path, python: str, tag: str, requirements_file: Path, requirements: list[str], find_links: Path
) -> tuple[Wheelhouse, list[str]]:
    """A wheelhouse for CPython ``python`` on platform ``tag``: wheels only, completed for that target's markers.

    ``find_links`` (this machine's wheelhouse) supplies the pip that runs and what PyPI has only as source and
    was built here (pure Python). Raises :class:`PackError` naming what pip could not find as a wheel.
    """
    pip = wheels_by_name(find_links)["pip"][0][1]
    system, machine = platform_parts(tag)
    house = Wheelhouse(f"{WHEELS}/cp{python.replace('.', '')}-{tag}", python, tag, system, machine)
    folder = pack / house.folder
    folder.mkdir(parents=True)
    print(f"Downloading the wheels for Python {python} on {tag} ({house.folder}) ...", flush=True)
    base = ["download", "--progress-bar", "off", "--only-binary=:all:", "--python-version", python]
    base += [arg for platform in compatible_platforms(tag) for arg in ("--platform", platform)]
    base += ["-d", folder, "--find-links", find_links, "-r", requirements_file]
    environment, added = target_environment(python, tag), []
    for _ in range(COMPLETION_ROUNDS):
        code, tail = run_pip([*base, *added], markers=environment, wheel=pip)
        if code != 0:
            shutil.rmtree(folder)
            raise PackError(f"{house.folder}: not included: {unfetchable(tail)}")
        missing = missing_requirements(folder, requirements, environment)
        if not missing:
            break
        added += missing
    else:
        raise PackError(f"{house.folder}: not included: still lacks {', '.join(missing)}")
    notes = []
    if added:
        names = ", ".join(Requirement(text).name for text in added)
        notes.append(
            f"{house.folder}: pip download left out dependencies that Python {python} on {tag} needs (it read "
            f"their markers as this machine's); {len(added)} were added: {names}."
        )
    return house, notes


def unfetchable(pip_output: str) -> str:
    """What pip said it could not find, in one sentence."""
    names = re.findall(r"No matching distribution found for (\S+)", pip_output)
    if names:
        return (
            f"pip found no wheel for it of {', '.join(dict.fromkeys(names))}: PyPI has none for that Python on that "
            "platform or older (a newer platform tag, such as macosx_14_0_arm64, may find one)"
        )
    lines = [line.strip() for line in pip_output.splitlines() if line.strip()]
    if "The conflict is caused by:" in lines:
        start = lines.index("The conflict is caused by:") + 1
        causes = list(itertools.takewhile(lambda line: not line.startswith("To fix this"), lines[start:]))
        return "pip found no set of wheels that fit together: " + "; ".join(causes)
    return "pip download failed: " + " / ".join(lines[-3:])


def cross_targets(platforms: Sequence[str], pythons: Sequence[str]) -> list[tuple[str, str]]:
    """(python, platform tag) of every other wheelhouse asked for: each Python named, and this machine's, on each
    platform named, and this machine's; this machine's own pair is the main wheelhouse, not one of these."""
    for python in pythons:
        if not re.fullmatch(r"3\.\d{1,2}", python):
            raise PackError(f"--python-version {python}: give a Python release as X.Y, for example 3.12.")
    for tag in platforms:
        try:
            platform_parts(tag)  # an unknown tag fails here, before anything is downloaded
        except UnknownPlatform as error:
            raise PackError(str(error)) from None
    here = (python_release(), host_download_tag())
    every_python = dict.fromkeys([here[0], *pythons])
    every_platform = dict.fromkeys([here[1], *platforms])
    return [pair for pair in itertools.product(every_python, every_platform) if pair != here]


# --- the pack --------------------------------------------------------------------------------------------


def write_sums(pack: Path) -> int:
    """Write ``SHA256SUMS`` (``sha256sum`` format, paths relative to the pack) of every other file; returns the count."""
    files = sorted(p for p in pack.rglob("*") if p.is_file() and p.relative_to(pack).as_posix() != SUMS_NAME)
    lines = []
    for path in files:
        name = path.relative_to(pack).as_posix()
        if "\n" in name or "\\" in name:
            raise PackError(f"{name!r}: a file name sha256sum would escape; rename it.")
        lines.append(f"{sha256_of(path)}  {name}\n")
    (pack / SUMS_NAME).write_text("".join(lines), encoding="utf-8")
    return len(lines)


def tree_size(path: Path) -> tuple[int, int]:
    """(files, bytes) under ``path`` (a file counts as one)."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def human(count: int) -> str:
    """A size for people: '4.1 MB', '1.23 GB'."""
    return f"{count / 1e9:.2f} GB" if count >= 1e9 else f"{count / 1e6:.1f} MB"


def install_guide(manifest: dict) -> str:
    """The pack's INSTALL.md: how to install, what the pack holds and covers, and its notes."""
    houses = manifest["wheelhouses"]
    covered = "\n".join(
        f"- Python {h['python']} on {h['system']} {h['machine']}"
        + (f" ({h['needs']} or newer)" if h.get("needs") else "")
        + f": `{h['folder']}/`, {h['files']} wheels, {human(h['bytes'])}; "
        + ("the course was resolved from it alone where the pack was built" if h["checked"] else "downloaded for it")
        for h in houses
    )
    notes = "\n".join(f"- {note}" for note in manifest["notes"]) or "- none"
    course = manifest["course"]
    site = f"- `{SITE}/`: the course's website; open `{SITE}/index.html` in a browser, nothing to install.\n"
    pythons = " or ".join(sorted({f"`python{h['python']}`" for h in houses}))
    return f"""# Workshop pack: Transfer Learning & Fine-Tuning with Keras

Installs the course on a laptop with no network. Built {manifest["built"]} from commit
`{course["commit"]}`.

## Install (no network needed)

Copy this whole folder to the laptop (or run it from the USB stick), then, with Python {pythons}:

```bash
python3 install.py --target ~/course
```

(On Windows: `py -{houses[0]["python"]} install.py --target %USERPROFILE%\\course`.) It checks the pack's
files against `SHA256SUMS`, unpacks the course into `~/course/{course["folder"]}` (which must not exist),
creates `.venv` there, installs every package from this pack's wheels (`pip install --no-index`), puts the
asset mirror into the Keras cache (`$KERAS_HOME`, default `~/.keras`) and ends with
`python -m course_utils doctor`. Then:

```bash
cd ~/course/{course["folder"]} && .venv/bin/jupyter lab    # open notebooks/00_setup.ipynb
```

(On Windows: `.venv\\Scripts\\jupyter lab`.)

Each error says how to fix it (another Python, a damaged copy, a folder that already exists). To check a copy
of the pack by hand: `sha256sum -c SHA256SUMS` in this folder.

## What it covers

{covered}

## What is in it

- `{course["archive"]}`: the course at commit `{course["commit"][:12]}` (`git archive`), with `edition/`, every
  lesson as its last full run left it, outputs and figures included.
- `{ASSETS}/`: the asset mirror (ImageNet weights, datasets) with its `manifest.json`.
- `{WHEELS}/`: one folder of wheels per platform and Python above; `{WHEELS}/requirements.txt` is what they hold.
{site if manifest.get("site") else ""}- `install.py`, this file, `pack.json` (what the installer reads) and `SHA256SUMS`.

## Notes

{notes}
"""


def build_pack(
    out: Path = DEFAULT_OUT,
    platforms: Sequence[str] = (),
    pythons: Sequence[str] = (),
    allow_uncommitted: bool = False,
    root: Path = ROOT,
) -> Path:
    """Build the workshop pack in ``out`` (which must not exist); returns ``out``. Raises :class:`PackError`."""
    started = time.monotonic()
    root, out = require_root(root), out.expanduser().resolve()
    if out.exists():
        raise PackError(f"{out} already exists: delete it, or choose another --out.")
    targets = cross_targets(platforms, pythons)
    left_out = check_committed(root, allow_uncommitted)
    mirror = mirror_source()
    partial = out.with_name(out.name + ".partial")  # a build stopped half-way never looks like a pack
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        manifest = _fill(partial, root, mirror, targets, left_out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # gigabytes of wheels: pip's cache keeps a second try quick
        raise
    partial.rename(out)
    print(summary(out, manifest, time.monotonic() - started))
    return out


def _fill(partial: Path, root: Path, mirror: Path, targets: list[tuple[str, str]], left_out: list[str]) -> dict:
    """Put everything into the pack folder ``partial``, ``SHA256SUMS`` last; returns ``pack.json``'s content."""
    archive, commit = archive_course(root, partial)
    print(f"Course: {archive} (commit {commit[:12]})")
    print(f"Assets: {copy_mirror(mirror, partial / ASSETS)} files copied from {mirror} and checked")
    requirements = course_requirements(partial / archive)
    requirements_file = partial / WHEELS / "requirements.txt"
    requirements_file.parent.mkdir()
    requirements_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    with tempfile.TemporaryDirectory() as scratch:
        course = workshop_install.unpack_course(partial / archive, Path(scratch), COURSE_FOLDER)
        host, notes = download_host(partial, requirements_file, requirements, course)
    houses = [host]
    for python, tag in targets:
        try:
            house, more = download_for(partial, python, tag, requirements_file, requirements, partial / host.folder)
        except PackError as error:
            print(f"warning: {error}", file=sys.stderr)
            notes.append(str(error))
            continue
        houses.append(house)
        notes += more
    for house in houses:
        house.files, house.bytes = tree_size(partial / house.folder)
        house.needs = platform_floor(partial / house.folder)
    if (root / SITE_SOURCE).is_dir():
        print(f"Site: {copy_tree(root / SITE_SOURCE, partial / SITE)} files from {SITE_SOURCE}")
        built = datetime.fromtimestamp((root / SITE_SOURCE).stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M")
        notes.append(f"{SITE}/ is {SITE_SOURCE} as built on {built} UTC from the work tree, not rebuilt for the pack.")
    if left_out:
        notes.append(
            f"Built from commit {commit[:12]} while the work tree had {len(left_out)} uncommitted change(s), not in the pack."
        )
    manifest = {
        "format": PACK_FORMAT,
        "built": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "course": {"archive": archive, "folder": COURSE_FOLDER, "commit": commit},
        "assets": ASSETS,
        "site": SITE if (partial / SITE).is_dir() else None,
        "wheelhouses": [asdict(house) for house in houses],
        "notes": notes,
    }
    shutil.copyfile(INSTALLER, partial / "install.py")
    (partial / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (partial / "INSTALL.md").write_text(install_guide(manifest), encoding="utf-8")
    write_sums(partial)  # last: it covers every other file
    return manifest


def summary(pack: Path, manifest: dict, seconds: float) -> str:
    """What was built: the size and file count of the pack and of each part, the build time, the install command."""
    files, size = tree_size(pack)
    parts = [manifest["course"]["archive"], ASSETS, *(h["folder"] for h in manifest["wheelhouses"])]
    parts += [SITE] if manifest.get("site") else []
    lines = [f"\nPack written: {pack} ({human(size)}, {files} files) in {seconds / 60:.1f} min"]
    for part in parts:
        count, part_size = tree_size(pack / part)
        lines.append(f"  {part:<40} {human(part_size):>10}  {count} file(s)")
    lines += [f"  note: {note}" for note in manifest["notes"]]
    lines.append(f"Install it, no network needed: python3 {pack / 'install.py'} --target DIR   (see INSTALL.md)")
    return "\n".join(lines)
