"""Install the course from a workshop pack with no network: ``python3 install.py --target DIR``.

Stand-alone, standard library only: ``python -m course_utils pack build`` (:mod:`.workshop_pack`) copies this
file into every pack as ``install.py``, and it runs before anything of the course is installed. In order, it

1. picks the pack's wheelhouse for this Python and this machine (or says which Python to run it with);
2. checks every file it will use against the pack's ``SHA256SUMS`` (naming a damaged or missing one);
3. unpacks the course (``git archive`` of its commit) into ``DIR/<course folder>``, which must not exist;
4. creates ``.venv`` with ``python -m venv`` (not ``--upgrade-deps``: that needs the network), upgrades pip
   from the wheelhouse and installs ``pip install --no-index --find-links WHEELHOUSE -e COURSE``;
5. installs the pack's asset mirror into the Keras cache (``COURSE_ASSETS=<pack>/assets python -m course_utils
   assets install``; ``$KERAS_HOME`` as set, else ``~/.keras``, as the README says);
6. runs ``python -m course_utils doctor``, which must pass.

pip reads nothing of this machine's pip configuration (``PIP_CONFIG_FILE`` is the null device, ``PIP_*``
variables are dropped): only the pack's wheelhouse is used. A step that fails removes the half-made course folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path, PurePosixPath

SUMS_NAME = "SHA256SUMS"
MANIFEST_NAME = "pack.json"
PACK_FORMAT = 1
CHUNK = 1 << 20
#: Disk an install needs per byte of its wheelhouse (measured: 783 MB of wheels made a 2.70 GB .venv) and per byte
#: of the asset mirror (its copy in the Keras cache, and the datasets lessons extract from it).
INSTALLED_PER_WHEEL_BYTE, INSTALLED_PER_ASSET_BYTE = 3.6, 2.0
#: Machine names as platform tags spell them (x86_64, arm64); Windows says AMD64, Linux aarch64.
MACHINE_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}
ANY_MACHINE = "universal2"  # a macOS wheelhouse of universal2 wheels runs on both Intel and Apple silicon


class InstallError(RuntimeError):
    """The pack cannot be installed here; the message says what is wrong and how to fix it."""


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks (course_utils.assets.manifest's, repeated: this script runs on
    a laptop where nothing but the standard library is installed yet)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sums(pack: Path) -> dict[str, str]:
    """``SHA256SUMS`` of the pack (``sha256sum`` format: ``<hex>  <relative path>``) as {path: hex}."""
    path = pack / SUMS_NAME
    if not path.is_file():
        raise InstallError(
            f"{path} is missing, so the pack's files cannot be checked: copy the whole pack folder again "
            "(SHA256SUMS is written last: a pack without it was not finished)."
        )
    sums = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        digest, separator, name = line.partition("  ")
        name = name.lstrip("*")  # sha256sum's binary-mode marker
        if (
            not separator
            or len(digest) != 64
            or not name
            or PurePosixPath(name).is_absolute()
            or ".." in name.split("/")
        ):
            raise InstallError(f"{path}, line {number}, is not '<sha256>  <relative path>': copy the pack again.")
        sums[name] = digest.lower()
    return sums


def verify_sums(pack: Path, under: tuple[str, ...] | None = None) -> int:
    """Check the pack's files against ``SHA256SUMS``; only those ``under`` these folders or files if given.

    Returns how many files were checked. Every damaged or missing file is named in one
    :class:`InstallError`, so a learner copies the right ones again.
    """
    sums = read_sums(pack)
    wanted = {name: digest for name, digest in sums.items() if under is None or _is_under(name, under)}
    problems = []
    for name, digest in sorted(wanted.items()):
        path = pack / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_of(path) != digest:
            problems.append(f"{name}: damaged (its sha256 is not the one in {SUMS_NAME})")
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise InstallError(
            f"{len(problems)} file(s) of the pack at {pack} are not as built:\n  - "
            + "\n  - ".join(shown)
            + "\nCopy the pack folder again from the instructor's copy (or just these files), then run the installer again."
        )
    return len(wanted)


def _is_under(name: str, folders: tuple[str, ...]) -> bool:
    return any(name == folder or name.startswith(folder.rstrip("/") + "/") for folder in folders)


def load_manifest(pack: Path) -> dict:
    """The pack's ``pack.json``: the course archive, the wheelhouses and the asset mirror it holds."""
    path = pack / MANIFEST_NAME
    if not path.is_file():
        raise InstallError(
            f"{pack} is not a workshop pack (no {MANIFEST_NAME}): run the install.py inside the pack folder, "
            "or pass --pack PACK_FOLDER; if the folder is a pack, copy it again (it is incomplete)."
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InstallError(f"{path} cannot be read ({error}): copy the pack folder again.") from None
    course = manifest.get("course") if isinstance(manifest, dict) else None
    if not (isinstance(course, dict) and {"archive", "folder"} <= course.keys() and "assets" in manifest) or not (
        isinstance(manifest.get("wheelhouses"), list)
    ):
        raise InstallError(f"{path} lacks the course, the assets or the wheelhouses: copy the pack folder again.")
    if manifest.get("format") != PACK_FORMAT:
        raise InstallError(
            f"{path} is format {manifest.get('format')!r}; this installer reads format {PACK_FORMAT}: "
            "run the install.py that came in the same pack folder."
        )
    return manifest


def normalise_machine(machine: str) -> str:
    """``x86_64`` or ``arm64`` for what ``platform.machine()`` says on Linux, macOS and Windows."""
    machine = machine.lower()
    return MACHINE_ALIASES.get(machine, machine)


def this_machine() -> tuple[str, str, str]:
    """(Python ``X.Y``, system, machine) of this interpreter, spelled as in ``pack.json``."""
    return (
        f"{sys.version_info[0]}.{sys.version_info[1]}",
        platform.system().lower(),
        normalise_machine(platform.machine()),
    )


def _describe(wheelhouse: dict) -> str:
    return f"Python {wheelhouse['python']} on {wheelhouse['system']} {wheelhouse['machine']} ({wheelhouse['folder']})"


def choose_wheelhouse(manifest: dict, python: str, system: str, machine: str) -> dict:
    """The wheelhouse built for this Python release and machine; otherwise an error that says which Python to use."""
    houses = manifest["wheelhouses"]
    same_machine = [h for h in houses if h["system"] == system and h["machine"] in (machine, ANY_MACHINE)]
    for house in same_machine:
        if house["python"] == python:
            return house
    script = Path(__file__).resolve()
    if same_machine:
        pythons = sorted({h["python"] for h in same_machine}, key=lambda v: tuple(map(int, v.split("."))))
        raise InstallError(
            f"This is Python {python} ({sys.executable}); the pack's wheels for {system} {machine} are for Python "
            f"{' and '.join(pythons)}. Run the installer with one of those, for example 'python{pythons[-1]} "
            f"{script} --target DIR' (on Windows: 'py -{pythons[-1]} install.py ...'), or ask for a pack built "
            f"with '--python-version {python}'."
        )
    listed = "\n  - ".join(_describe(h) for h in houses) or "(none)"
    raise InstallError(
        f"This machine is {system} {machine} with Python {python}; the pack has wheels only for:\n  - {listed}\n"
        "Install on one of those, or ask for a pack built for this machine "
        "('python -m course_utils pack build --platform TAG --python-version X.Y', see INSTALL.md)."
    )


def course_destination(target: Path, folder: str) -> Path:
    """``target/folder``, refused if it exists or ``target`` is not a folder that can be written."""
    target = target.expanduser().resolve()
    destination = target / folder
    if target.exists() and not target.is_dir():
        raise InstallError(f"--target {target} is a file, not a folder: give a folder (it is created if missing).")
    if destination.exists():
        raise InstallError(
            f"{destination} already exists: the installer never writes into an existing folder. Delete it "
            f"(or move it away) to install again, or choose another --target."
        )
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not os.access(existing, os.W_OK):
        raise InstallError(f"{existing} is not writable: choose a --target in a folder of your own (your home, say).")
    return destination


def check_free_space(destination: Path, needed: int) -> None:
    """Refuse before unpacking anything when the disk cannot hold the installed course."""
    existing = next(p for p in (destination, *destination.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if free < needed:
        raise InstallError(
            f"The installed course needs about {needed / 1e9:.1f} GB, and {existing} has {free / 1e9:.1f} GB "
            "free: free some space, or choose a --target on another disk."
        )


def check_venv_available() -> None:
    """This Python can make a virtual environment with pip in it (Debian splits ``ensurepip`` off)."""
    probe = subprocess.run([sys.executable, "-c", "import ensurepip, venv"], capture_output=True, text=True)
    if probe.returncode != 0:
        version = "{}.{}".format(*sys.version_info[:2])
        raise InstallError(
            f"{sys.executable} cannot create virtual environments (no ensurepip or venv). On Debian and Ubuntu "
            f"that is the package python{version}-venv, which needs the network: install it before the "
            "workshop, or run the installer with another Python of the same release."
        )


def _safe_members(archive: tarfile.TarFile, folder: str) -> list[tarfile.TarInfo]:
    """The archive's members, all inside ``folder/`` with no absolute path, ``..`` or link leading out."""
    members = archive.getmembers()
    for member in members:
        parts = PurePosixPath(member.name).parts
        link = PurePosixPath(member.linkname) if member.issym() or member.islnk() else None
        if (
            not parts
            or parts[0] != folder
            or ".." in parts
            or PurePosixPath(member.name).is_absolute()
            or (link is not None and (link.is_absolute() or ".." in link.parts))
        ):
            raise InstallError(f"The course archive holds {member.name!r}, outside {folder}/: copy the pack again.")
    return members


def unpack_course(archive: Path, target: Path, folder: str) -> Path:
    """Unpack the course archive (every member under ``folder/``) into ``target``; returns ``target/folder``."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = _safe_members(tar, folder)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(target, members=members, filter="data")
        else:  # Python before 3.10.12 / 3.11.4: the members were checked above
            tar.extractall(target, members=members)
    return target / folder


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtual environment ``venv`` (``Scripts\\python.exe`` on Windows)."""
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def pip_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without pip's settings: pip then reads no configuration file and never the network."""
    env = {key: value for key, value in os.environ.items() if not key.upper().startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.update(extra or {})
    return env


def install_steps(python: Path, wheelhouse: Path, course: Path, assets: Path) -> list[tuple[str, list[str], dict]]:
    """The steps after the venv is made, as (what it does, command, extra environment), in order."""
    offline = ["--no-index", "--find-links", str(wheelhouse)]
    return [
        ("pip from the wheelhouse", [str(python), "-m", "pip", "install", *offline, "--upgrade", "pip"], {}),
        (
            "the course's packages (a few minutes)",
            [str(python), "-m", "pip", "install", *offline, "-e", str(course)],
            {},
        ),
        (
            "the asset mirror into the Keras cache",
            [str(python), "-m", "course_utils", "assets", "install"],
            {"COURSE_ASSETS": str(assets)},
        ),
    ]


def doctor_step(python: Path, assets: Path) -> tuple[str, list[str], dict]:
    """The last step: ``doctor``, with the pack's mirror to check the Keras cache against."""
    return "doctor", [str(python), "-m", "course_utils", "doctor"], {"COURSE_ASSETS": str(assets)}


def run_step(label: str, command: list[str], extra_env: dict[str, str], cwd: Path) -> None:
    """Run one step, its output shown as it comes; a failure raises :class:`InstallError` with its fix."""
    started = time.monotonic()
    print(f"\n== {label}", flush=True)
    try:
        result = subprocess.run(command, cwd=cwd, env=pip_environment(extra_env))
    except OSError as error:
        raise InstallError(f"{label}: cannot run {command[0]} ({error}).") from None
    if result.returncode != 0:
        raise InstallError(_step_failure(label, command, result.returncode))
    print(f"   done in {time.monotonic() - started:.0f} s", flush=True)


def _step_failure(label: str, command: list[str], code: int) -> str:
    shown = " ".join(command)
    if "pip" in command:
        return (
            f"{label}: pip stopped (exit {code}; its message is above) running: {shown}\n"
            "A 'No matching distribution' there means the pack lacks a wheel for this machine: install with the "
            "Python and on the platform the pack was built for (INSTALL.md lists them), or ask for a pack built "
            "for this one."
        )
    return f"{label} failed (exit {code}; its message is above): {shown}"


def install(pack: Path, target: Path) -> Path:
    """Install the pack's course under ``target``; returns the course folder. Raises :class:`InstallError`."""
    pack = pack.resolve()
    manifest = load_manifest(pack)
    python, system, machine = this_machine()
    house = choose_wheelhouse(manifest, python, system, machine)
    course, assets = manifest["course"], pack / manifest["assets"]
    destination = course_destination(target, course["folder"])
    assets_bytes = sum(path.stat().st_size for path in assets.rglob("*") if path.is_file())
    check_free_space(
        destination, int(house["bytes"] * INSTALLED_PER_WHEEL_BYTE + assets_bytes * INSTALLED_PER_ASSET_BYTE)
    )
    check_venv_available()
    started = time.monotonic()
    print(f"Checking the pack's files against {SUMS_NAME} ...", flush=True)
    used = (MANIFEST_NAME, course["archive"], house["folder"], manifest["assets"])
    print(f"   {verify_sums(pack, used)} files as built ({time.monotonic() - started:.0f} s)")
    print(f"Unpacking the course ({course.get('commit', '?')[:12]}) into {destination} ...", flush=True)
    try:
        unpack_course(pack / course["archive"], destination.parent, course["folder"])
        print("\n== the virtual environment .venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(destination / ".venv")], check=True)
        python_of_venv = venv_python(destination / ".venv")
        for label, command, extra in install_steps(python_of_venv, pack / house["folder"], destination, assets):
            run_step(label, command, extra, cwd=destination)
    except BaseException as error:
        shutil.rmtree(destination, ignore_errors=True)
        if isinstance(error, subprocess.CalledProcessError):
            raise InstallError(f"python -m venv failed (exit {error.returncode}; its message is above).") from None
        if isinstance(error, InstallError):
            raise InstallError(f"{error}\nNothing was left behind: {destination} was removed.") from None
        raise
    try:
        run_step(*doctor_step(python_of_venv, assets), cwd=destination)
    except InstallError:
        raise InstallError(
            f"The course is installed in {destination}, but doctor found a blocking problem (above): fix what it "
            f"says, then check again with: cd {destination} && {venv_python(Path('.venv'))} -m course_utils doctor"
        ) from None
    print(f"\nInstalled in {time.monotonic() - started:.0f} s: {destination}")
    return destination


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="install.py", description="Install the course from this workshop pack, with no network."
    )
    parser.add_argument(
        "--target",
        default=".",
        metavar="DIR",
        help="the folder to install into (the course lands in DIR/<course folder>; default: the current folder)",
    )
    parser.add_argument(
        "--pack", default=str(Path(__file__).resolve().parent), metavar="DIR", help="default: this script's folder"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # its lines in order with pip's, also into a log file
    try:
        destination = install(Path(args.pack), Path(args.target))
    except InstallError as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 2
    activate = r".venv\Scripts\activate" if os.name == "nt" else "source .venv/bin/activate"
    print(f"Next: cd {destination} && {activate} && jupyter lab   (then open notebooks/00_setup.ipynb)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
