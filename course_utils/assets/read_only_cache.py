"""Read a read-only Keras cache instead of silently swapping it for one every account shares.

An instructor may fill a Keras cache once and share it read-only (``KERAS_HOME=/srv/keras``).
Keras's ``get_file`` sees that it cannot write there and quietly uses ``/tmp/.keras`` instead —
a folder shared by every account on the machine — and downloads everything again (offline: fails).
:func:`install_read_only_guard` puts a thin layer in front of ``get_file``: when the cache is not
writable, a file it holds (and, for ``extract=True``, its extracted folder) is returned from it;
a file it lacks raises :class:`AssetUnavailableError` saying so and how to fix it.  A writable
cache goes to Keras unchanged.
"""

from __future__ import annotations

import inspect
import os
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from .download_guard import AssetUnavailableError
from .keras_cache import not_writable_message, writable

#: Where ``keras.utils.get_file`` is looked up: the public namespaces and the module Keras's own code calls.
NAMESPACES = ("keras.src.utils.file_utils", "keras.src.utils", "keras.utils", "keras._tf_keras.keras.utils")


def keras_targets(fname: str | None, origin: str, cache_subdir: str, extract: bool, base: Path) -> tuple[Path, Path]:
    """The archive (or file) path and the extraction folder ``get_file`` uses, by Keras 3's own naming rule."""
    datadir = Path(base) / cache_subdir
    name = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not extract:
        return datadir / name, datadir / name
    if fname and "." in name:
        return datadir / name, datadir / f"{name[: name.find('.')]}_extracted"
    return datadir / f"{name}_archive", datadir / name


def guarded(get_file: Callable) -> Callable:
    """Wrap Keras's ``get_file`` so that a read-only cache is read, never replaced."""

    signature = inspect.signature(get_file)

    def get_file_from_cache(*args, **kwargs):
        from keras.src.backend import config

        call = signature.bind(*args, **kwargs)
        call.apply_defaults()
        given = call.arguments
        base = Path(os.path.expanduser(given["cache_dir"] or config.keras_home()))
        if given["origin"] is None or not base.is_dir() or writable(base):
            return get_file(*args, **kwargs)
        extract = bool(given["extract"] or given["untar"])
        target, folder = keras_targets(given["fname"], given["origin"], given["cache_subdir"], extract, base)
        if not target.is_file():
            raise AssetUnavailableError(not_writable_message(base, str(target.relative_to(base))))
        if extract and not folder.is_dir():
            raise AssetUnavailableError(
                not_writable_message(base, f"the extracted folder {folder.relative_to(base)} of {target.name}")
            )
        return str(folder if extract else target)

    get_file_from_cache.__course_guard__ = True  # type: ignore[attr-defined]
    get_file_from_cache.__wrapped__ = get_file  # type: ignore[attr-defined]
    get_file_from_cache.__doc__ = get_file.__doc__
    return get_file_from_cache


def install_read_only_guard() -> None:
    """Put the read-only layer in front of ``get_file`` wherever Keras exposes it (idempotent)."""
    from keras.src.utils import file_utils

    current = file_utils.get_file
    if getattr(current, "__course_guard__", False):
        current = current.__wrapped__
    installed, wrapper = file_utils.get_file, guarded(current)
    for name in NAMESPACES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "get_file", None) in (current, installed):
            module.get_file = wrapper


def remove_read_only_guard() -> None:
    """Undo :func:`install_read_only_guard`."""
    for name in NAMESPACES:
        module = sys.modules.get(name)
        current = getattr(module, "get_file", None)
        if getattr(current, "__course_guard__", False):
            module.get_file = current.__wrapped__
