"""Read a read-only Keras cache instead of silently swapping it for one every account shares.

An instructor may fill a Keras cache once and share it read-only (``KERAS_HOME=/srv/keras``).
Keras's ``get_file`` sees that it cannot write there and quietly uses ``/tmp/.keras`` instead —
a folder shared by every account on the machine — and downloads everything again (offline: fails).
:func:`install_read_only_guard` puts a thin layer in front of ``get_file``: when the cache is not
writable, a file it holds (and, for ``extract=True``, its extracted folder) is returned from it;
a file it lacks raises :class:`AssetUnavailableError` saying so and how to fix it.  A writable
cache goes to Keras unchanged.

Keras's own datasets (``keras.datasets.mnist``, ``fashion_mnist``, ``cifar10``, ...) import
``get_file`` under their own name, so the layer goes into every module of Keras that holds Keras's
function, not only into ``keras.utils``.
"""

from __future__ import annotations

import inspect
import os
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from . import patching
from .download_guard import AssetUnavailableError
from .keras_cache import not_writable_message, writable
from .locations import KERAS_HOME


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
            raise AssetUnavailableError(missing_folder_message(base, folder, target))
        return str(folder if extract else target)

    return get_file_from_cache


def missing_folder_message(home: Path, folder: Path, archive: Path) -> str:
    """Why the extracted ``folder`` of ``archive`` (which the read-only cache ``home`` holds) is missing, and the fixes."""
    return (
        f"{archive.name} is in the Keras cache {home} ({KERAS_HOME}), but its extracted folder "
        f"{folder.relative_to(home)} is not, and the cache is not writable, so it cannot be extracted there. "
        f"Either ask whoever fills {home} to run this lesson's get_file(...) cell once with write access to it "
        f"(that extracts the archive), or set {KERAS_HOME} to a folder you can write (for example ~/.keras) "
        "before starting Jupyter and run this notebook again: get_file then puts the archive there (downloaded, "
        "or installed by course_utils.setup() from COURSE_ASSETS) and extracts it."
    )


def _is_keras(module_name: str) -> bool:
    """Whether ``module_name`` is Keras or a ``keras_*`` package (keras_hub, ...)."""
    return module_name == "keras" or module_name.startswith(("keras.", "keras_"))


def _holding_get_file(keras_own: Callable) -> list[ModuleType]:
    """The imported Keras modules whose ``get_file`` is Keras's ``keras_own`` or a course guard of it."""
    return [
        module
        for name, module in list(sys.modules.items())
        if _is_keras(name) and patching.unwrapped(getattr(module, "__dict__", {}).get("get_file")) is keras_own
    ]


def install_read_only_guard() -> None:
    """Put the read-only layer in front of ``get_file`` in every Keras module that holds it (idempotent).

    Importing ``keras.src.utils.file_utils`` imports Keras whole, its datasets modules included, so
    each module that copied ``get_file`` under its own name is imported by now and gets the layer.
    A package imported later that copies ``get_file`` (none of the course's does) keeps Keras's own.
    """
    from keras.src.utils import file_utils

    wrapper = patching.install(file_utils, "get_file", guarded)
    for module in _holding_get_file(wrapper.__wrapped__):
        patching.place(module, "get_file", wrapper)


def remove_read_only_guard() -> None:
    """Undo :func:`install_read_only_guard`."""
    from keras.src.utils import file_utils

    for module in _holding_get_file(patching.unwrapped(file_utils.get_file)):
        patching.remove(module, "get_file")
