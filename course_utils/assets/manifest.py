"""The asset manifest: which files a mirror holds, where Keras looks for them, and their hashes.

A mirror is a folder with a ``manifest.json`` and the files laid out as a Keras cache
(``keras/<cache_subdir>/<filename>``).  This module only reads and writes that description;
copying files around is :mod:`course_utils.assets`' job.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, BinaryIO

MANIFEST_NAME = "manifest.json"
CHUNK = 1 << 20


class AssetError(RuntimeError):
    """A problem with the asset mirror or the Keras cache, with a message that says how to fix it."""


@dataclass(frozen=True)
class AssetEntry:
    """One file of a mirror, as ``manifest.json`` describes it."""

    cache_subdir: str
    filename: str
    origin: str
    sha256: str | None = None
    bytes: int | None = None
    provenance: str = "official"
    aliases: tuple[str, ...] = ()
    path: str | None = None  # relative to the mirror root; defaults to keras/<cache_subdir>/<filename>
    source: str | None = None
    license: str | None = None
    notes: str | None = None

    @property
    def mirror_path(self) -> str:
        return self.path or f"keras/{self.cache_subdir}/{self.filename}"

    @property
    def names(self) -> tuple[str, ...]:
        """The file name plus every alias: all the names Keras may ask for."""
        return (self.filename, *self.aliases)

    def cache_paths(self) -> Iterator[str]:
        """Paths relative to ``$KERAS_HOME`` under which Keras will look for these bytes."""
        for name in self.names:
            yield f"{self.cache_subdir}/{name}"

    @property
    def is_official(self) -> bool:
        return self.provenance == "official"

    def __post_init__(self) -> None:
        for field_name, value in (("cache_subdir", self.cache_subdir), ("path", self.path)):
            if value is not None:
                _require_inside(value, field_name, self.filename)
        for name in self.names:
            _require_inside(name, "filename" if name == self.filename else "aliases", self.filename)
            if "/" in name or "\\" in name:
                raise AssetError(f"manifest entry {self.filename!r}: file name {name!r} must not contain a folder")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AssetEntry:
        try:
            return cls(
                cache_subdir=data["cache_subdir"],
                filename=data["filename"],
                origin=data["origin"],
                sha256=data.get("sha256"),
                bytes=data.get("bytes"),
                provenance=data.get("provenance", "official"),
                aliases=tuple(data.get("aliases", ())),
                path=data.get("path"),
                source=data.get("source"),
                license=data.get("license"),
                notes=data.get("notes"),
            )
        except KeyError as missing:
            raise AssetError(f"manifest entry {data!r} lacks the field {missing}") from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = self.mirror_path
        data["aliases"] = list(self.aliases)
        return {key: value for key, value in data.items() if value not in (None, [])}


def _require_inside(value: str, field_name: str, entry: str) -> None:
    """Refuse a manifest path that would lead outside the folder it is relative to."""
    path = PurePosixPath(value.replace("\\", "/"))
    if not value or path.is_absolute() or ".." in path.parts or PureWindowsPath(value).drive:
        raise AssetError(
            f"manifest entry {entry!r}: {field_name} {value!r} must be a relative path inside the folder "
            "(no '..', no absolute path); this manifest is damaged or not made for the course."
        )


@dataclass
class Manifest:
    """The whole ``manifest.json`` of a mirror."""

    files: list[AssetEntry]
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, mirror: Path) -> Manifest:
        path = Path(mirror) / MANIFEST_NAME
        if not path.is_file():
            raise AssetError(
                f"No {MANIFEST_NAME} in the asset mirror {mirror}. COURSE_ASSETS (or --assets) "
                "must name the folder that holds manifest.json and keras/ — for example the "
                "'assets' folder your instructor shared, or one made with "
                "'python -m course_utils assets fetch --to DIR'."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = [AssetEntry.from_json(item) for item in data["files"]]
        except OSError as error:
            raise AssetError(f"Cannot read {path}: {error}. Check the mirror's permissions.") from None
        except AssetError as error:
            raise AssetError(f"{path}: {error}") from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise AssetError(f"{path} is not a valid asset manifest: {error}") from None
        extra = {k: v for k, v in data.items() if k not in ("files", "description")}
        return cls(files=files, description=data.get("description", ""), extra=extra)

    def save(self, mirror: Path) -> Path:
        data = {"description": self.description, **self.extra, "files": [entry.to_json() for entry in self.files]}
        path = Path(mirror) / MANIFEST_NAME
        write_text_atomic(path, json.dumps(data, indent=1) + "\n")
        return path


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_stream_verified(source: BinaryIO, dest: Path, expected_sha256: str | None, label: str) -> str:
    """Write ``source`` to ``dest`` through a temporary file in the same folder, checking its hash.

    The destination appears only once the bytes are complete and (if ``expected_sha256`` is given)
    match; on any failure the temporary file is removed, so no partial copy is ever left behind.
    Returns the sha256 of what was written.
    """
    handle, tmp_name = _create_temporary(dest, suffix=".partial", tag=f"{os.getpid()}.")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if expected_sha256 is not None and actual != expected_sha256:
            raise AssetError(
                f"Checksum mismatch for {label}: expected sha256 {expected_sha256}, got {actual}. "
                "The file is damaged or not the one the manifest describes; nothing was installed "
                "for it. Copy the mirror again (or re-run 'assets fetch') and retry."
            )
        os.replace(tmp_name, dest)
        return actual
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise


def _create_temporary(dest: Path, suffix: str = "", tag: str = "") -> tuple[int, str]:
    """Create a new hidden file next to ``dest`` (``.NAME.TAG<random><suffix>``); return its descriptor and name.

    Unlike ``tempfile.mkstemp`` (always 0600), the file gets the permissions any new file gets
    (0666 less the process's umask, applied by the operating system), so the renamed result is
    readable by others exactly when a normal file would be — without touching the process-wide umask.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        name = str(dest.parent / f".{dest.name}.{tag}{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (temporary file + rename)."""
    handle, tmp_name = _create_temporary(path)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
        raise
