"""Offline-first assets: put a mirror's files where Keras looks for them.

Keras downloads pretrained weights and datasets with ``keras.utils.get_file`` into
``$KERAS_HOME/<cache_subdir>/<filename>`` (default ``~/.keras``) and never downloads a file that
is already there.  Installing a mirror therefore makes the canonical code
(``MobileNetV2(weights="imagenet")``, ``get_file("cats_and_dogs_filtered.zip", ...)``) run
unchanged without a network.

The mirror's location is a setting — the ``COURSE_ASSETS`` environment variable or the CLI's
``--assets`` option — never a path written into the course.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .locations import KERAS_HOME, absolute, resolve_data_dirs
from .locks import holding
from .manifest import CHUNK, AssetEntry, AssetError, Manifest, copy_stream_verified, sha256_of, write_text_atomic

ENV_VAR = "COURSE_ASSETS"
STATE_NAME = ".course_assets_state.json"


def mirror_location(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The configured mirror: ``explicit`` if given, else ``$COURSE_ASSETS``, else ``None``.

    A relative ``$COURSE_ASSETS`` is resolved against the folder it was set in — the shell's
    working directory, ``$PWD``, which a notebook kernel inherits even though it runs in
    ``notebooks/`` — and written back as an absolute path, so every later reader agrees.
    """
    value = explicit if explicit is not None else os.environ.get(ENV_VAR)
    if not value:
        return None
    path = absolute(value, from_setting=explicit is None).resolve()
    if explicit is None and path.is_dir():
        os.environ[ENV_VAR] = str(path)
    if not path.is_dir():
        raise AssetError(
            f"The asset mirror {path} (from {'--assets' if explicit else ENV_VAR}) does not exist. "
            f"Point {ENV_VAR} at the folder that holds manifest.json, or unset it to use only "
            "what is already in the Keras cache."
        )
    return path


def keras_home() -> Path:
    """The folder Keras caches downloads in: ``$KERAS_HOME`` (made absolute), else ``~/.keras``.

    Keras reads ``$KERAS_HOME`` once, when it is imported; if it is already imported we ask it.
    A relative value is resolved once, where it was set (:mod:`.locations`).  A folder that is not
    writable (an instructor's read-only cache) is still the one used — for what it holds — and not
    replaced by Keras's fallback in the system's temporary folder, which every account shares:
    :func:`writable` tells, and the course's ``get_file`` guard reads from it.
    """
    resolve_data_dirs()
    if "keras" in sys.modules:
        from keras.src.backend import config

        home = Path(config.keras_home()).expanduser()
    else:
        home = Path(os.environ.get(KERAS_HOME, Path.home() / ".keras")).expanduser()
    with contextlib.suppress(OSError):  # not writable: used for reading only
        home.mkdir(parents=True, exist_ok=True)
    return home


def writable(home: Path) -> bool:
    """Whether files can be installed into the Keras cache ``home`` (the test Keras's ``get_file`` makes)."""
    return os.access(home, os.W_OK)


def not_writable_message(home: Path, missing: str) -> str:
    """Why ``missing`` cannot be put into the read-only cache ``home``, and the two fixes."""
    return (
        f"{missing} is not in the Keras cache {home} ({KERAS_HOME}), which is not writable, so it cannot be "
        f"installed there. Either ask whoever fills {home} to run 'python -m course_utils assets install' "
        f"there, or set {KERAS_HOME} to a folder of your own (for example ~/.keras) and run "
        "'python -m course_utils assets install' (course_utils.setup() also does it)."
    )


def install_target(home: Path) -> Path:
    """What the install lock guards (``.course_assets_install.lock`` in the cache): one install at a time."""
    return home / "course_assets_install"


@dataclass
class InstallReport:
    """What :func:`install_mirror` did, one list per outcome (paths relative to ``$KERAS_HOME``)."""

    keras_home: Path
    copied: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    kept_different: list[str] = field(default_factory=list)
    missing_or_damaged: dict[str, str] = field(default_factory=dict)  # mirror file -> why it was not installed
    no_space: dict[str, int] = field(default_factory=dict)  # mirror file -> its bytes, when the disk was full
    read_only: bool = False  # the cache is not writable: only checked, nothing installed

    @property
    def changed(self) -> int:
        return len(self.copied) + len(self.linked)

    @property
    def failed(self) -> dict[str, str]:
        """Every mirror file that was not installed, and why: missing or damaged, or the disk was full."""
        full = {path: f"{path}: not installed, the disk is full" for path in self.no_space}
        return {**self.missing_or_damaged, **full}

    def summary(self) -> str:
        text = (
            f"{len(self.copied)} copied, {len(self.linked)} linked as aliases, "
            f"{len(self.up_to_date)} already up to date in {self.keras_home}"
        )
        if self.kept_different:
            text += (
                f"; kept {len(self.kept_different)} existing file(s) that differ from the "
                f"mirror (delete them to take the mirror's copy): {', '.join(self.kept_different)}"
            )
        if self.read_only:
            text += f"; {self.keras_home} is not writable: using the files it holds, nothing installed"
        damaged = self.missing_or_damaged
        if damaged and self.read_only:
            text += f"; NOT available: {len(damaged)} file(s):\n" + "\n".join(f"  - {why}" for why in damaged.values())
        elif damaged:
            text += f"; NOT installed: {len(damaged)} file(s) of the mirror are damaged or missing:\n"
            text += "\n".join(f"  - {why}" for why in damaged.values())
            text += "\nLessons that need them will fail until the mirror is copied again; the rest work."
        if self.no_space:
            needed = sum(self.no_space.values())
            free = _free_bytes(self.keras_home)
            text += (
                f"; NOT installed, the disk is full: {', '.join(self.no_space)} (needs {_size(needed)}, "
                f"{_size(free)} free at {self.keras_home}). Nothing half-written was left behind. "
                "Fix: free some space on that disk (or set KERAS_HOME to a folder on a disk with room) "
                "and run 'python -m course_utils assets install' again."
            )
        return text


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


def _size(count: int) -> str:
    """A byte count for a learner: '700 bytes', '12.3 MB'."""
    return f"{count} bytes" if count < 10**6 else f"{count / 1e6:.1f} MB"


class _State:
    """Remembers which installed files were verified, so a second install re-hashes nothing.

    A file counts as verified while its size and modification time are what they were when its
    sha256 was checked.  Saving merges into what is on disk under a lock, so a status check or a
    second install running alongside never erases what another one recorded.
    """

    def __init__(self, home: Path):
        self.path = home / STATE_NAME
        self.records: dict[str, dict] = self._read()
        self.changed: set[str] = set()

    def _read(self) -> dict[str, dict]:
        try:
            records = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            records = {}
        valid = isinstance(records, dict) and all(
            isinstance(r, dict) and isinstance(r.get("sha256"), str) and isinstance(r.get("stamp"), dict)
            for r in records.values()
        )
        return records if valid else {}  # a damaged state only costs a re-hash

    @staticmethod
    def _stamp(path: Path) -> dict:
        stat = path.stat()
        return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}

    def unchanged(self, home: Path, rel: str) -> bool:
        """Whether ``rel`` has the size and modification time it had when its hash was recorded."""
        record = self.records.get(rel)
        path = home / rel
        return record is not None and path.is_file() and self._stamp(path) == record["stamp"]

    def known_sha256(self, home: Path, rel: str) -> str | None:
        """The sha256 recorded for ``rel`` if the file is unchanged since, else ``None``."""
        record = self.records.get(rel)
        path = home / rel
        if record is None or not path.is_file():
            return None
        return record["sha256"] if self._stamp(path) == record["stamp"] else None

    def installed_by_us(self, home: Path, rel: str) -> bool:
        """Whether this module put the file there and nobody has written to it since."""
        return bool(self.records.get(rel, {}).get("installed")) and self.unchanged(home, rel)

    def remember(self, home: Path, rel: str, sha256: str, installed: bool) -> None:
        """Record a verified hash; ``installed`` marks a file this module put there."""
        self.records[rel] = {"sha256": sha256, "stamp": self._stamp(home / rel), "installed": installed}
        self.changed.add(rel)

    def save(self) -> None:
        """Merge this run's records into the file, atomically; a file stays "installed" while unchanged.

        A cache that cannot be written (read-only, or a full disk) only costs a re-hash next time.
        """
        if not self.changed or not writable(self.path.parent):
            return
        with contextlib.suppress(OSError), holding(self.path, "recording the installed files"):
            merged = self._read()
            for rel in self.changed:
                mine, theirs = dict(self.records[rel]), merged.get(rel)
                same_file = theirs is not None and (theirs["stamp"], theirs["sha256"]) == (
                    mine["stamp"],
                    mine["sha256"],
                )
                mine["installed"] = bool(mine.get("installed") or (same_file and theirs.get("installed")))
                merged[rel] = mine
            write_text_atomic(self.path, json.dumps(merged, indent=1, sort_keys=True))
            self.records, self.changed = merged, set()


def _current_sha256(state: _State, home: Path, rel: str, verify: bool = False) -> str | None:
    """The sha256 of a cached file (from the state when unchanged, else hashed), or None if absent.

    A file that changed since its hash was recorded is no longer the installer's: someone else
    wrote it.  ``verify`` hashes even unchanged files (corruption that keeps size and time).
    """
    known = None if verify else state.known_sha256(home, rel)
    if known is not None:
        return known
    if not (home / rel).is_file():
        return None
    digest = sha256_of(home / rel)
    # Hashed because it changed (not ours any more), or because of ``verify`` (ours if unchanged since).
    state.remember(home, rel, digest, installed=verify and state.installed_by_us(home, rel))
    return digest


def install_mirror(mirror: Path, home: Path | None = None) -> InstallReport:
    """Copy every file of ``mirror`` (and every alias name) into the Keras cache, verified.

    Idempotent: files already installed and unchanged are recognised from a small state file
    without re-hashing.  A file this function installed, that nobody has written to since, and
    that no longer matches the mirror (a newer mirror, or damage that kept its size and time) is
    replaced.  Any other file that differs from the mirror (an official download by Keras, a file
    the learner put there) is kept, never overwritten.  A mirror file that is missing or fails its
    checksum is reported in :attr:`InstallReport.missing_or_damaged` and leaves no partial copy; the other
    files are installed all the same — also when the disk is full (:attr:`InstallReport.no_space`).
    One install runs at a time (a lock in the cache): a second one waits, then finds the files in
    place.  Partial copies left by a killed install are removed.  A cache that is not writable is
    only checked: files it lacks are reported as failed, with the fix.
    """
    home = Path(home) if home is not None else keras_home()
    manifest = Manifest.load(mirror)
    with contextlib.suppress(OSError):  # cannot be made: reported as not writable below
        home.mkdir(parents=True, exist_ok=True)
    if not writable(home):
        return _check_read_only(manifest, home)
    with holding(install_target(home), f"installing the asset mirror into {home}"):
        state = _State(home)
        report = InstallReport(keras_home=home)
        remove_stale_partials(home)
        try:
            for entry in manifest.files:
                try:
                    _install_entry(entry, Path(mirror), home, state, report)
                except AssetError as error:
                    report.missing_or_damaged[entry.mirror_path] = str(error)
                except OSError as error:
                    if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    report.no_space[entry.mirror_path] = (
                        entry.bytes or (Path(mirror) / entry.mirror_path).stat().st_size
                    )
        finally:
            state.save()
    return report


def _check_read_only(manifest: Manifest, home: Path) -> InstallReport:
    """What a read-only cache holds of ``manifest``: present files are up to date, the rest failed."""
    report = InstallReport(keras_home=home, read_only=True)
    state = _State(home)
    for entry in manifest.files:
        for rel in entry.cache_paths():
            current = _current_sha256(state, home, rel)
            if current is not None and (entry.sha256 is None or current == entry.sha256):
                report.up_to_date.append(rel)
            elif current is not None:
                report.kept_different.append(rel)
            else:
                report.missing_or_damaged.setdefault(entry.mirror_path, not_writable_message(home, rel))
    return report


def _install_entry(entry: AssetEntry, mirror: Path, home: Path, state: _State, report: InstallReport) -> None:
    source = mirror / entry.mirror_path
    if not source.is_file():
        raise AssetError(
            f"The mirror {mirror} lists {entry.mirror_path} in its manifest but the file is missing. "
            "Copy the mirror again, completely."
        )
    primary: Path | None = None
    for rel in entry.cache_paths():
        dest = home / rel
        ours = state.installed_by_us(home, rel)
        current = _current_sha256(state, home, rel)
        if current is not None and (entry.sha256 is None or current == entry.sha256):
            report.up_to_date.append(rel)
            primary = primary or dest
            continue
        if current is not None and not ours and not _is_truncated_copy(dest, source):
            report.kept_different.append(rel)
            continue
        if primary is not None and _link(primary, dest):
            report.linked.append(rel)
        else:
            with open(source, "rb") as stream:
                copy_stream_verified(stream, dest, entry.sha256, f"{entry.mirror_path} (mirror {mirror})")
            report.copied.append(rel)
            primary = dest
        state.remember(home, rel, entry.sha256 or sha256_of(dest), installed=True)


def _is_truncated_copy(path: Path, source: Path) -> bool:
    """Whether ``path`` holds the first bytes of ``source`` and no more: a copy cut short, not a file of its own."""
    size = path.stat().st_size
    if size >= source.stat().st_size:
        return False
    with open(path, "rb") as cut, open(source, "rb") as whole:
        while size > 0:
            chunk = cut.read(min(CHUNK, size))
            if not chunk or chunk != whole.read(len(chunk)):
                return False
            size -= len(chunk)
    return True


def remove_stale_partials(home: Path) -> list[Path]:
    """Delete the temporary ``.partial`` files that a killed install left in the cache; returns them.

    Call it holding the install lock (:func:`install_mirror` does): then no other install is
    writing, and every partial file found is a leftover.
    """
    removed = []
    for path in home.rglob(".*.partial*"):
        if path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _link(existing: Path, dest: Path) -> bool:
    """Give ``existing``'s bytes a second name: a hard link, else a copy. False if impossible."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.partial-link")
    try:
        if tmp.exists():
            tmp.unlink()
        try:
            os.link(existing, tmp)
        except OSError:
            shutil.copyfile(existing, tmp)
        os.replace(tmp, dest)
        return True
    except OSError:
        if tmp.exists():
            tmp.unlink()
        return False


@dataclass(frozen=True)
class AssetStatus:
    """One Keras file name and where it stands."""

    cache_path: str
    entry: AssetEntry
    state: str  # one of STATES
    alias_of: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("installed", "present (unverified)")


#: What :func:`asset_status` can say of a file.  "present (unverified)": there, with no hash to check it against.
STATES = ("installed", "missing", "differs from mirror", "present (unverified)")


def asset_status(mirror: Path | None, home: Path | None = None, *, verify: bool = False) -> list[AssetStatus]:
    """Where every file of the mirror (or, with no mirror, of the course catalogue) stands.

    A file's hash comes from the installer's records while its size and modification time are
    unchanged, and is computed again otherwise; ``verify`` hashes every file present, which also
    finds corruption that kept its size and modification time.
    """
    from .catalog import course_catalog

    home = Path(home) if home is not None else keras_home()
    entries = Manifest.load(mirror).files if mirror is not None else course_catalog()
    state = _State(home)
    rows = []
    for entry in entries:
        for rel in entry.cache_paths():
            known = _current_sha256(state, home, rel, verify=verify)
            if not (home / rel).is_file():
                label = "missing"
            elif known is None or entry.sha256 is None:
                label = "present (unverified)"
            elif known == entry.sha256:
                label = "installed"
            else:
                label = "differs from mirror"
            alias_of = None if rel.endswith("/" + entry.filename) else entry.filename
            rows.append(AssetStatus(rel, entry, label, alias_of))
    state.save()
    return rows


def status_report(mirror: Path | None = None, *, verify: bool = False) -> str:
    """What is in the Keras cache, against the configured mirror (``$COURSE_ASSETS``), as text."""
    mirror = mirror if mirror is not None else mirror_location()
    home = keras_home()
    return format_status(asset_status(mirror, home, verify=verify), mirror, home, verified=verify)


def format_status(rows: list[AssetStatus], mirror: Path | None, home: Path, *, verified: bool = False) -> str:
    """A readable table of :func:`asset_status` rows."""
    lines = [
        f"Keras cache (KERAS_HOME): {home}",
        f"Asset mirror ({ENV_VAR}): {mirror if mirror else 'not set — showing what the course uses'}",
        "",
    ]
    width = max((len(row.cache_path) for row in rows), default=10)
    lines.append(f"{'file (under KERAS_HOME)'.ljust(width)}  {'state':20}  provenance")
    for row in rows:
        what = row.entry.provenance + (f", alias of {row.alias_of}" if row.alias_of else "")
        lines.append(f"{row.cache_path.ljust(width)}  {row.state:20}  {what}")
    missing = sum(row.state == "missing" for row in rows)
    different = [row.cache_path for row in rows if row.state == "differs from mirror"]
    lines.append("")
    if missing:
        fix = (
            "run 'python -m course_utils assets install'"
            if mirror
            else f"set {ENV_VAR} to a mirror and run 'python -m course_utils assets install', "
            "or connect to the internet once"
        )
        lines.append(f"{missing} file(s) missing: {fix}.")
    if different:
        lines.append(
            f"{len(different)} file(s) differ from the mirror (a download of your own, or damaged): delete "
            f"them from {home} and run 'python -m course_utils assets install' to take the mirror's copy."
        )
    if not (missing or different):
        checked = " (every file hashed and checked)" if verified else " ('assets status --verify' hashes every file)"
        lines.append(f"Everything is in place{checked}.")
    reconstructed = sorted({row.entry.filename for row in rows if not row.entry.is_official})
    if reconstructed:
        lines.append(
            "Not byte-identical to the official downloads (see the mirror's README): " + ", ".join(reconstructed)
        )
    return "\n".join(lines)
