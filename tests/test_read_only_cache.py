"""A read-only Keras cache is read for what it holds, never swapped for the shared /tmp/.keras."""

from __future__ import annotations

import gzip
import zipfile

import numpy as np
import pytest
from mirrors import read_only

from course_utils.assets import read_only_cache
from course_utils.assets.download_guard import AssetUnavailableError


@pytest.fixture
def read_only_guard():
    read_only_cache.install_read_only_guard()  # tests/conftest.py removes every course guard afterwards


@pytest.fixture
def no_download(monkeypatch):
    """Make any download Keras tries fail the test (a read-only cache must be read, not bypassed)."""
    from keras.src.utils import file_utils

    def downloaded(url, *args, **kwargs):
        raise AssertionError(f"Keras downloaded {url} instead of reading the read-only cache")

    monkeypatch.setattr(file_utils, "urlretrieve", downloaded)


def _keras_home(monkeypatch, home):
    """``KERAS_HOME=home`` for a Keras imported earlier (it reads the variable once, on import)."""
    from keras.src.backend import config

    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(config, "_KERAS_DIR", str(home))


def test_get_file_reads_a_read_only_cache_instead_of_a_shared_temporary_one(read_only_guard, tmp_path, monkeypatch):
    import keras

    from course_utils.assets import extraction

    home = tmp_path / "instructor_cache"
    (home / "datasets").mkdir(parents=True)
    (home / "models").mkdir()
    (home / "models" / "w.h5").write_bytes(b"weights")
    with zipfile.ZipFile(home / "datasets" / "pets.zip", "w") as archive:
        archive.writestr("pets/cat.txt", b"meow")
    extraction.install_extraction_guard()
    keras.utils.get_file("pets.zip", origin="http://127.0.0.1:9/pets.zip", extract=True, cache_dir=str(home))
    read_only(monkeypatch, home)
    folder = keras.utils.get_file("pets.zip", origin="http://127.0.0.1:9/pets.zip", extract=True, cache_dir=str(home))
    assert folder == str(home / "datasets" / "pets_extracted")
    from keras.src.utils import file_utils  # what MobileNetV2(weights=...) calls

    weights = file_utils.get_file("w.h5", origin="http://127.0.0.1:9/w.h5", cache_subdir="models", cache_dir=str(home))
    assert weights == str(home / "models" / "w.h5")


def test_get_file_says_a_read_only_cache_lacks_a_file_and_how_to_fix(read_only_guard, tmp_path, monkeypatch):
    import keras

    home = tmp_path / "instructor_cache"
    home.mkdir()
    read_only(monkeypatch, home)
    with pytest.raises(AssetUnavailableError) as error:
        keras.utils.get_file("other.zip", origin="http://127.0.0.1:9/other.zip", extract=True, cache_dir=str(home))
    message = str(error.value)
    assert "other.zip" in message and "not writable" in message and "KERAS_HOME" in message
    assert "assets install" in message


def test_a_missing_extracted_folder_names_what_extracts_it(read_only_guard, tmp_path, monkeypatch):
    import keras

    home = tmp_path / "instructor_cache"
    (home / "datasets").mkdir(parents=True)
    with zipfile.ZipFile(home / "datasets" / "pets.zip", "w") as archive:  # installed, never extracted
        archive.writestr("pets/cat.txt", b"meow")
    read_only(monkeypatch, home)
    with pytest.raises(AssetUnavailableError) as error:
        keras.utils.get_file("pets.zip", origin="http://127.0.0.1:9/pets.zip", extract=True, cache_dir=str(home))
    message = str(error.value)
    assert "pets_extracted" in message and "not writable" in message
    assert "get_file" in message and "write access" in message and "KERAS_HOME" in message
    assert "assets install" not in message  # it installs archives; it never extracts them


def _idx_gz(path, header: bytes, payload: bytes) -> None:
    with gzip.open(path, "wb") as stream:
        stream.write(header + payload)


def test_keras_datasets_read_a_read_only_keras_home(read_only_guard, no_download, tmp_path, monkeypatch):
    """``keras.datasets.fashion_mnist`` imports ``get_file`` under its own name: it must be guarded too."""
    import keras

    home = tmp_path / "instructor_cache"
    folder = home / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for split, count in (("train", 3), ("t10k", 2)):
        _idx_gz(folder / f"{split}-labels-idx1-ubyte.gz", bytes(8), bytes(range(count)))
        _idx_gz(folder / f"{split}-images-idx3-ubyte.gz", bytes(16), bytes(count * 28 * 28))
    _keras_home(monkeypatch, home)
    read_only(monkeypatch, home)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    assert x_train.shape == (3, 28, 28) and x_test.shape == (2, 28, 28)
    np.testing.assert_array_equal(y_train, [0, 1, 2])


def test_every_keras_module_holding_get_file_gets_the_guard(read_only_guard):
    import sys

    from keras.src.utils import file_utils

    keras_own = file_utils.get_file.__wrapped__
    unguarded = [
        name
        for name, module in list(sys.modules.items())
        if name.split(".")[0].startswith("keras") and getattr(module, "get_file", None) is keras_own
    ]
    assert unguarded == []
    assert sys.modules["keras.src.datasets.mnist"].get_file is file_utils.get_file


ORIGIN_NAME = "pets.zip"


@pytest.mark.parametrize(
    "fname, extract",
    [("pets.zip", True), ("pets", True), (None, True), ("pets.zip", False), ("pets", False), (None, False)],
)
def test_keras_targets_names_what_keras_get_file_uses(tmp_path, fname, extract):
    """The guard's copy of Keras's naming rule agrees with the real ``get_file`` (a file:// origin: no network)."""
    import keras

    source = tmp_path / "origin" / ORIGIN_NAME
    source.parent.mkdir()
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("pets/cat.txt", b"meow")
    home = tmp_path / "keras_home"
    home.mkdir()
    returned = keras.utils.get_file(fname, origin=source.as_uri(), extract=extract, cache_dir=str(home))
    target, folder = read_only_cache.keras_targets(fname, source.as_uri(), "datasets", extract, home)
    assert returned == str(folder if extract else target)
    assert target.is_file() and target.read_bytes() == source.read_bytes()
    if extract:
        assert (folder / "pets" / "cat.txt").read_bytes() == b"meow"
