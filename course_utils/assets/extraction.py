"""Extract a dataset archive once, whole, and never under a reader's feet.

Every lesson calls ``keras.utils.get_file(NAME, origin=URL, extract=True)``.  Keras itself
extracts the whole archive again, in place, into ``$KERAS_HOME/datasets/<name>_extracted`` on
every call, and deletes that folder when the extraction is interrupted (Jupyter's stop button).
A kernel reading the shared folder meanwhile sees files vanish and half-written.

:func:`install_extraction_guard` puts :func:`extract_once` in place of Keras's
``extract_archive``:

- a folder already extracted whole from this very archive (same size and modification time,
  recorded in a marker file next to the folder) is left alone: the call is a no-op;
- otherwise the archive is extracted into a temporary sibling folder that is renamed into place
  when complete, so a reader sees the old complete folder or the new complete one, never a half;
- an interrupted extraction removes only its temporary folder;
- two kernels extracting at once take turns (a file lock); the second finds the work done.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from .locks import holding

#: The marker next to an extracted folder ``X``: ``.X`` + this suffix; it names the archive it came from.
MARKER_SUFFIX = ".course-extracted.json"
_TEMP_SUFFIXES = (".extracting", ".replaced")


def _stamp(archive: Path) -> dict:
    stat = archive.stat()
    return {"archive": archive.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def marker_path(folder: Path) -> Path:
    """Where the completion marker of the extracted ``folder`` lives (a hidden sibling file)."""
    return folder.parent / f".{folder.name}{MARKER_SUFFIX}"


def is_complete(folder: Path, archive: Path) -> bool:
    """Whether ``folder`` was extracted whole from ``archive`` as it is now."""
    try:
        recorded = json.loads(marker_path(folder).read_text(encoding="utf-8"))
        return folder.is_dir() and recorded == _stamp(archive)
    except (OSError, ValueError):
        return False


def _write_marker(folder: Path, archive: Path) -> None:
    from .manifest import write_text_atomic

    write_text_atomic(marker_path(folder), json.dumps(_stamp(archive)))


def _members(archive: Path) -> dict[str, int] | None:
    """The regular files of a zip or tar archive and their sizes, or ``None`` if it is neither."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as opened:
            return {info.filename: info.file_size for info in opened.infolist() if not info.is_dir()}
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as opened:
            return {info.name: info.size for info in opened.getmembers() if info.isfile()}
    return None


def _holds(folder: Path, archive: Path) -> bool:
    """Whether ``folder`` holds every file of ``archive`` at its full size (an extraction by plain Keras)."""
    try:
        members = _members(archive)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return False
    if not members:
        return False
    for name, size in members.items():
        parts = PurePosixPath(name).parts
        if PurePosixPath(name).is_absolute() or ".." in parts:
            continue  # Keras skips these too
        path = folder.joinpath(*parts)
        if not path.is_file() or path.stat().st_size != size:
            return False
    return True


def _remove_leftovers(folder: Path) -> None:
    """Delete the temporary folders an interrupted or killed extraction of ``folder`` left (lock held)."""
    for path in folder.parent.glob(f".{folder.name}.*"):
        if path.is_dir() and path.name.endswith(_TEMP_SUFFIXES):
            shutil.rmtree(path, ignore_errors=True)


def _swap_in(new: Path, folder: Path) -> None:
    """Put the complete folder ``new`` at ``folder``, replacing what is there, in two renames."""
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
        if folder.is_dir() and _holds(folder, archive):
            _write_marker(folder, archive)
            return True
        marker_path(folder).unlink(missing_ok=True)
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".extracting", dir=folder.parent))
        try:
            if not extract(str(archive), str(fresh), archive_format):
                return False
            _swap_in(fresh, folder)
        finally:
            if fresh.exists():
                shutil.rmtree(fresh, ignore_errors=True)
        _write_marker(folder, archive)
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
    current = file_utils.extract_archive
    if getattr(current, "__course_guard__", False):
        current = current.__wrapped__

    def guarded_extract(file_path, path=".", archive_format="auto"):
        return extract_once(file_path, path, archive_format, extract=current)

    guarded_extract.__course_guard__ = True  # type: ignore[attr-defined]
    guarded_extract.__wrapped__ = current  # type: ignore[attr-defined]
    file_utils.extract_archive = guarded_extract


def remove_extraction_guard() -> None:
    """Undo :func:`install_extraction_guard`."""
    from keras.src.utils import file_utils

    if getattr(file_utils.extract_archive, "__course_guard__", False):
        file_utils.extract_archive = file_utils.extract_archive.__wrapped__
