"""The one way the course puts a guard in front of a library function, and takes it away."""

from __future__ import annotations

import types

import pytest

from course_utils.assets import patching


def _library():
    def fetch(url, retries=3):
        """Fetch url."""
        return f"fetched {url}"

    return types.SimpleNamespace(fetch=fetch)


def _loud(original):
    def loud(url, retries=3):
        return original(url, retries).upper()

    return loud


def test_a_guard_wraps_the_library_function_once_however_often_installed():
    library = _library()
    original = library.fetch
    patching.install(library, "fetch", _loud)
    patching.install(library, "fetch", _loud)
    assert library.fetch("x") == "FETCHED X"
    assert library.fetch.__wrapped__ is original and patching.is_guard(library.fetch)
    assert library.fetch.__name__ == "fetch" and library.fetch.__doc__ == "Fetch url."
    patching.remove(library, "fetch")
    assert library.fetch is original
    patching.remove(library, "fetch")  # removing again changes nothing
    assert library.fetch is original


def test_remove_all_takes_every_installed_guard_away():
    first, second = _library(), _library()
    originals = first.fetch, second.fetch
    patching.install(first, "fetch", _loud)
    patching.install(second, "fetch", _loud)
    patching.remove_all()
    assert (first.fetch, second.fetch) == originals


def test_unwrapped_finds_the_library_function_behind_a_guard():
    library = _library()
    original = library.fetch
    patching.install(library, "fetch", _loud)
    assert patching.unwrapped(library.fetch) is original and patching.unwrapped(original) is original


@pytest.mark.parametrize(
    "module, install, remove, attribute",
    [
        ("download_guard", "install_download_guard", "remove_download_guard", "urlretrieve"),
        ("extraction", "install_extraction_guard", "remove_extraction_guard", "extract_archive"),
    ],
)
def test_installing_a_keras_guard_twice_wraps_once_and_removing_restores_keras(module, install, remove, attribute):
    import importlib

    from keras.src.utils import file_utils

    guards = importlib.import_module(f"course_utils.assets.{module}")
    original = getattr(file_utils, attribute)
    getattr(guards, install)()
    getattr(guards, install)()
    assert getattr(file_utils, attribute).__wrapped__ is original
    getattr(guards, remove)()
    assert getattr(file_utils, attribute) is original
