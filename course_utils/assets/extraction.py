"""Extract a dataset archive once, whole, and never under a reader's feet.

Every lesson calls ``keras.utils.get_file(NAME, origin=URL, extract=True)``.  Keras itself
extracts the whole archive again, in place, into ``$KERAS_HOME/datasets/<name>_extracted`` on
every call, and deletes that folder when the extraction is interrupted (Jupyter's stop button).
A kernel reading the shared folder meanwhile sees files vanish and half-written.

:func:`install_extraction_guard` puts :func:`extract_once` in place of Keras's
``extract_archive``:

- a folder already extracted whole from this very archive is left alone: the call is a no-op.  A
  marker file next to the folder records the archive (size, modification time) and every file
  extracted from it with its size; one ``stat`` per file checks them (about 15 ms for 3,000 files);
- a folder with a file missing or cut short, or extracted from another archive, is extracted
  again: re-running the ``get_file`` cell repairs it;
- an extraction goes into a temporary sibling folder that is renamed into place when complete, so
  no reader ever sees a half-extracted folder.  A first extraction appears whole at once.  Replacing
  an existing folder takes two renames (the old folder aside, then the new one in): for the instant
  between them the folder does not exist, and a reader opening it then is told it is not there;
- an interrupted extraction removes only its temporary folder;
- two kernels extracting at once take turns (a file lock); the second finds the work done.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from . import patching
from .locks import holding

#: The marker next to an extracted folder ``X``: ``.X`` + this suffix; it names the archive and the files.
MARKER_SUFFIX = ".course-extracted.json"
_TEMP_SUFFIXES = (".extracting", ".replaced")


def _stamp(archive: Path) -> dict:
    info = archive.stat()
    return {"archive": archive.name, "bytes": info.st_size, "mtime_ns": info.st_mtime_ns}


def marker_path(folder: Path) -> Path:
    """Where the completion marker of the extracted ``folder`` lives (a hidden sibling file)."""
    return folder.parent / f".{folder.name}{MARKER_SUFFIX}"


def is_complete(folder: Path, archive: Path) -> bool:
    """Whether ``folder`` was extracted whole from ``archive`` as it is now, and still holds every file at its size."""
    try:
        recorded = json.loads(marker_path(folder).read_text(encoding="utf-8"))
        files = recorded.pop("files", None)
        return isinstance(files, dict) and recorded == _stamp(archive) and _holds_files(folder, files)
    except (OSError, ValueError, AttributeError):  # no marker, a damaged one, no archive
        return False


def _write_marker(folder: Path, archive: Path, files: dict[str, int]) -> None:
    from .manifest import write_text_atomic

    write_text_atomic(marker_path(folder), json.dumps({**_stamp(archive), "files": files}))


def _holds_files(folder: Path, files: dict[str, int]) -> bool:
    """Whether ``folder`` holds each of ``files`` (relative POSIX name: size) as a file of that size."""
    base = os.fspath(folder)
    for name, size in files.items():
        try:
            found = os.stat(os.path.join(base, *name.split("/")))
        except OSError:
            return False
        if found.st_size != size or not stat.S_ISREG(found.st_mode):
            return False
    return True


def _files_in(folder: Path) -> dict[str, int]:
    """Every regular file under ``folder`` (relative POSIX name: size): what an extraction produced."""
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            found = os.stat(os.path.join(root, name))
            if stat.S_ISREG(found.st_mode):
                files[Path(root, name).relative_to(folder).as_posix()] = found.st_size
    return files


def _archive_files(archive: Path) -> dict[str, int] | None:
    """The regular files Keras extracts from a zip or tar archive and their sizes; ``None`` if unreadable."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as opened:
                members = [(info.filename, info.file_size) for info in opened.infolist() if not info.is_dir()]
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as opened:
                members = [(info.name, info.size) for info in opened.getmembers() if info.isfile()]
        else:
            return None
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return None
    paths = [(PurePosixPath(name), size) for name, size in members]
    return {path.as_posix(): size for path, size in paths if not path.is_absolute() and ".." not in path.parts}


def _remove_leftovers(folder: Path) -> None:
    """Delete the temporary folders an interrupted or killed extraction of ``folder`` left (lock held)."""
    for path in folder.parent.glob(f".{folder.name}.*"):
        if path.is_dir() and path.name.endswith(_TEMP_SUFFIXES):
            shutil.rmtree(path, ignore_errors=True)


def _swap_in(new: Path, folder: Path) -> None:
    """Put the complete folder ``new`` at ``folder``, replacing what is there.

    One rename for a first extraction; two for a replacement (the old folder aside, the new one
    in), with an instant between them when ``folder`` does not exist.
    """
    if not folder.exists():
        os.replace(new, folder)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".replaced", dir=folder.parent))
    os.replace(folder, old / folder.name)
    os.replace(new, folder)
    shutil.rmtree(old, ignore_errors=True)


def extract_once(
    file_path: str | os.PathLike[str],
    path: str | os.PathLike[str] = ".",
    archive_format: str | list[str] | None = "auto",
    *,
    extract: Callable[..., bool],
) -> bool:
    """Extract ``file_path`` into ``path`` with ``extract`` (Keras's own), unless already done whole.

    Same contract as Keras's ``extract_archive``: True if ``file_path`` is an archive of
    ``archive_format`` (and ``path`` now holds it), False if it is not.
    """
    archive, folder = Path(file_path), Path(path)
    if archive_format is None:
        return False
    if is_complete(folder, archive):
        return True
    with holding(folder, f"extracting {archive.name} into {folder}"):
        if is_complete(folder, archive):  # another process did it while we waited
            return True
        _remove_leftovers(folder)
        if folder.is_dir() and (files := _archive_files(archive)) and _holds_files(folder, files):
            _write_marker(folder, archive, files)  # extracted whole before (by plain Keras, or an older marker)
            return True
        marker_path(folder).unlink(missing_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".extracting", dir=folder.parent))
        try:
            if not extract(str(archive), str(fresh), archive_format):
                return False
            files = _files_in(fresh)
            _swap_in(fresh, folder)
        finally:
            if fresh.exists():
                shutil.rmtree(fresh, ignore_errors=True)
        _write_marker(folder, archive, files)
    return True


def install_extraction_guard() -> None:
    """Put :func:`extract_once` in front of Keras's ``extract_archive`` (idempotent)."""
    from keras.src.utils import file_utils

    if not hasattr(file_utils, "extract_archive"):  # a Keras whose internals moved: keep its own behaviour
        import warnings

        warnings.warn(
            "course_utils: this Keras version has no file_utils.extract_archive; get_file(extract=True) "
            "re-extracts datasets in place on every call.",
            stacklevel=2,
        )
        return
    patching.install(file_utils, "extract_archive", _guarded_extract)


def _guarded_extract(extract: Callable[..., bool]) -> Callable[..., bool]:
    """Keras's ``extract_archive`` signature, done by :func:`extract_once` with Keras's own ``extract``."""

    def guarded_extract(file_path, path=".", archive_format="auto"):
        return extract_once(file_path, path, archive_format, extract=extract)

    return guarded_extract


def remove_extraction_guard() -> None:
    """Undo :func:`install_extraction_guard`."""
    from keras.src.utils import file_utils

    patching.remove(file_utils, "extract_archive")
