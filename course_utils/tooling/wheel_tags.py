"""What a wheel needs and where it runs, read from wheels' file names and metadata (no pip, no network).

The workshop pack (:mod:`.workshop_pack`) asks these questions of its wheelhouses: which wheels a folder holds
(:func:`wheels_by_name`), what installing the course from it would still lack on a target machine
(:func:`missing_requirements`, with that machine's environment markers from :func:`target_environment`), which
platform tags ``pip download --platform`` must be given for a machine (:func:`compatible_platforms`), and the
oldest system a folder's wheels run on (:func:`platform_floor`).
"""

from __future__ import annotations

import email.parser
import re
import sys
import sysconfig
import zipfile
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import mac_platforms, platform_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from . import workshop_install


class UnknownPlatform(ValueError):
    """A platform tag no wheel folder can be made for; the message lists pip's tags to use instead."""


def wheels_by_name(folder: Path) -> dict[str, list[tuple[Version, Path]]]:
    """The wheels in ``folder`` by project name, highest version first."""
    found: dict[str, list[tuple[Version, Path]]] = {}
    for wheel in folder.glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        found.setdefault(name, []).append((version, wheel))
    return {name: sorted(versions, reverse=True) for name, versions in found.items()}


def wheel_requirements(wheel: Path) -> list[Requirement]:
    """The ``Requires-Dist`` lines of a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        text = archive.read(metadata).decode("utf-8")
    return [Requirement(line) for line in email.parser.HeaderParser().parsestr(text).get_all("Requires-Dist") or []]


def missing_requirements(folder: Path, requirements: Sequence[str], environment: dict[str, str]) -> list[str]:
    """What installing ``requirements`` from ``folder`` on a machine described by ``environment`` lacks.

    Walks the requirements and, through each wheel's metadata, theirs, with markers evaluated for
    ``environment`` (the target's Python and platform): ``pip download --platform ...`` evaluates them
    for the machine it runs on, so a package only the target needs (``tomli`` below Python 3.11, say)
    is missing. Returns those requirements without their markers, ready for ``pip download``.
    """
    wheels = wheels_by_name(folder)
    missing: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(Requirement(text), ("",)) for text in requirements]
    while pending:
        requirement, extras = pending.pop()
        marker = requirement.marker
        if marker is not None and not any(marker.evaluate({**environment, "extra": extra}) for extra in extras):
            continue
        name = canonicalize_name(requirement.name)
        fitting = [path for version, path in wheels.get(name, []) if requirement.specifier.contains(version, True)]
        if not fitting:
            requirement.marker = None
            missing.setdefault(name, str(requirement))
            continue
        key = (name, frozenset(requirement.extras))
        if key not in seen:
            seen.add(key)
            pending += [(dep, ("", *sorted(requirement.extras))) for dep in wheel_requirements(fitting[0])]
    return sorted(missing.values())


def platform_parts(tag: str) -> tuple[str, str]:
    """(system, machine) a platform tag is for: ``macosx_11_0_arm64`` -> ("darwin", "arm64")."""
    systems = {"manylinux": "linux", "musllinux": "linux", "linux": "linux", "macosx": "darwin", "win": "windows"}
    system = next((s for prefix, s in systems.items() if tag.startswith(prefix)), None)
    machine = next((m for m in ("x86_64", "amd64", "aarch64", "arm64", "universal2") if tag.endswith(m)), None)
    if system is None or machine is None:
        raise UnknownPlatform(
            f"--platform {tag}: not a platform tag the pack knows. Use one of pip's, for example "
            "manylinux_2_28_x86_64, manylinux_2_28_aarch64, macosx_14_0_arm64, macosx_13_0_x86_64, win_amd64."
        )
    return system, workshop_install.normalise_machine(machine)


def target_environment(python: str, tag: str) -> dict[str, str]:
    """The environment markers of CPython ``python`` on the platform ``tag`` (PEP 508's names)."""
    system, machine = platform_parts(tag)
    sys_platform, platform_system, os_name = {
        "linux": ("linux", "Linux", "posix"),
        "darwin": ("darwin", "Darwin", "posix"),
        "windows": ("win32", "Windows", "nt"),
    }[system]
    spelled = {("windows", "x86_64"): "AMD64", ("windows", "arm64"): "ARM64", ("linux", "arm64"): "aarch64"}
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "sys_platform": sys_platform,
        "platform_system": platform_system,
        "os_name": os_name,
        "platform_machine": spelled.get((system, machine), "arm64" if machine == "universal2" else machine),
        "platform_release": "",
        "platform_version": "",
    }


LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def oldest_system(platform_tag: str) -> tuple[str, tuple[int, int]] | None:
    """The oldest system a wheel's platform tag runs on: ``manylinux_2_28_x86_64`` -> ("glibc", (2, 28))."""
    for name, version in LEGACY_MANYLINUX.items():
        if platform_tag.startswith(name + "_"):
            return "glibc", version
    match = re.match(r"(manylinux|macosx)_(\d+)_(\d+)_", platform_tag)
    if match is None:
        return None
    return ("glibc" if match[1] == "manylinux" else "macOS"), (int(match[2]), int(match[3]))


def platform_floor(folder: Path) -> str | None:
    """The oldest system every wheel in ``folder`` runs on: "glibc 2.28", "macOS 11.0", or None (pure Python only).

    A wheel runs where any of its tags does, so it needs the lowest of its tags; the folder, the highest of those.
    """
    floors: dict[str, tuple[int, int]] = {}
    for wheel in folder.glob("*.whl"):
        needs: dict[str, tuple[int, int]] = {}
        for tag in parse_wheel_filename(wheel.name)[3]:
            found = oldest_system(tag.platform)
            if found is not None:
                system, version = found
                needs[system] = min(needs.get(system, version), version)
        for system, version in needs.items():
            floors[system] = max(floors.get(system, version), version)
    return ", ".join(f"{system} {major}.{minor}" for system, (major, minor) in sorted(floors.items())) or None


def compatible_platforms(tag: str) -> list[str]:
    """``tag`` and every older platform tag a machine it names also runs, newest first.

    ``pip download --platform`` matches the tags it is given exactly: ``manylinux_2_36_x86_64`` alone would
    miss TensorFlow's ``manylinux_2_27`` wheel, ``macosx_14_0_arm64`` a ``macosx_12_0`` one.
    """
    match = re.fullmatch(r"(manylinux|musllinux)_(\d+)_(\d+)_(\w+)", tag)
    if match:
        family, major, minor, arch = match[1], int(match[2]), int(match[3]), match[4]
        tags = [f"{family}_{major}_{m}_{arch}" for m in range(minor, -1 if family == "musllinux" else 4, -1)]
        if family == "manylinux":  # the same glibc floors under their older names, newest first
            by_age = sorted(LEGACY_MANYLINUX.items(), key=lambda item: item[1], reverse=True)
            tags += [f"{name}_{arch}" for name, version in by_age if (major, minor) >= version]
        return tags
    match = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", tag)
    if match:
        return list(mac_platforms((int(match[1]), int(match[2])), match[3]))
    return [tag]


def host_platform() -> str:
    """This machine's platform as pip's wheel folders name it (``linux_x86_64``, ``macosx_14_0_arm64``)."""
    return re.sub(r"[-.]", "_", sysconfig.get_platform())


def host_download_tag() -> str:
    """The platform tag to download for when asked for another Python on this machine (manylinux, not linux)."""
    tags = list(platform_tags())
    return next((tag for tag in tags if not tag.startswith("linux_")), tags[0])


def python_release() -> str:
    return "{}.{}".format(*sys.version_info[:2])
