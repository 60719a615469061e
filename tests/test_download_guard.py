"""Downloads that cannot happen fail fast with a message that says how to fix them."""

from __future__ import annotations

import socket
import time

import pytest

from course_utils.assets import download_guard as offline


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_guard_explains_file_origin_and_both_fixes(monkeypatch):
    monkeypatch.setenv("COURSE_ASSETS", "/srv/mirror")
    calls = []
    retrieve = offline.guarded(lambda *a, **k: calls.append(a), probe=lambda url: False)
    url = "https://example.invalid/keras-applications/efficientnetv2-b0_notop.h5"
    with pytest.raises(offline.AssetUnavailableError) as error:
        retrieve(url, "/home/me/.keras/models/efficientnetv2-b0_notop.h5")
    message = str(error.value)
    assert "efficientnetv2-b0_notop.h5" in message and url in message
    assert "connect to the internet once" in message and "COURSE_ASSETS" in message
    assert "/srv/mirror" in message
    assert calls == []


def test_guard_lets_reachable_downloads_through():
    calls = []
    retrieve = offline.guarded(lambda url, filename, *a: calls.append((url, filename)), probe=lambda url: True)
    retrieve("http://127.0.0.1/x", "target")
    assert calls == [("http://127.0.0.1/x", "target")]


def test_can_reach_is_quick_on_a_closed_port():
    started = time.perf_counter()
    assert offline.can_reach(f"http://127.0.0.1:{closed_port()}/x.h5", timeout=1) is False
    assert time.perf_counter() - started < 3


def test_keras_get_file_fails_fast_offline_and_leaves_no_partial_file(tmp_path):
    import keras

    offline.install_download_guard()
    try:
        origin = f"http://127.0.0.1:{closed_port()}/missing_weights.h5"
        started = time.perf_counter()
        with pytest.raises(offline.AssetUnavailableError, match="missing_weights.h5"):
            keras.utils.get_file("missing_weights.h5", origin=origin, cache_dir=str(tmp_path))
        assert time.perf_counter() - started < 10
        assert list((tmp_path / "datasets").iterdir()) == []
    finally:
        offline.remove_download_guard()


def test_installing_the_guard_twice_wraps_once():
    from keras.src.utils import file_utils

    original = file_utils.urlretrieve
    offline.install_download_guard()
    offline.install_download_guard()
    assert file_utils.urlretrieve.__wrapped__ is original
    offline.remove_download_guard()
    assert file_utils.urlretrieve is original


def _read_only(monkeypatch, home):
    """Make ``home`` look like a read-only mount to ``os.access`` (root may write anywhere otherwise)."""
    import os
    from pathlib import Path

    real = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode, *a, **k: False if mode & os.W_OK and Path(path) == home else real(path, mode, *a, **k),
    )


@pytest.fixture
def read_only_guard():
    from course_utils.assets import read_only_cache

    read_only_cache.install_read_only_guard()
    yield
    read_only_cache.remove_read_only_guard()


def test_get_file_reads_a_read_only_cache_instead_of_a_shared_temporary_one(read_only_guard, tmp_path, monkeypatch):
    import zipfile

    import keras

    from course_utils.assets import extraction

    home = tmp_path / "instructor_cache"
    (home / "datasets").mkdir(parents=True)
    (home / "models").mkdir()
    (home / "models" / "w.h5").write_bytes(b"weights")
    with zipfile.ZipFile(home / "datasets" / "pets.zip", "w") as archive:
        archive.writestr("pets/cat.txt", b"meow")
    extraction.install_extraction_guard()
    try:
        keras.utils.get_file("pets.zip", origin="http://127.0.0.1:9/pets.zip", extract=True, cache_dir=str(home))
        _read_only(monkeypatch, home)
        folder = keras.utils.get_file(
            "pets.zip", origin="http://127.0.0.1:9/pets.zip", extract=True, cache_dir=str(home)
        )
    finally:
        extraction.remove_extraction_guard()
    assert folder == str(home / "datasets" / "pets_extracted")
    from keras.src.utils import file_utils  # what MobileNetV2(weights=...) calls

    weights = file_utils.get_file("w.h5", origin="http://127.0.0.1:9/w.h5", cache_subdir="models", cache_dir=str(home))
    assert weights == str(home / "models" / "w.h5")


def test_get_file_says_a_read_only_cache_lacks_a_file_and_how_to_fix(read_only_guard, tmp_path, monkeypatch):
    import keras

    home = tmp_path / "instructor_cache"
    home.mkdir()
    _read_only(monkeypatch, home)
    with pytest.raises(offline.AssetUnavailableError) as error:
        keras.utils.get_file("other.zip", origin="http://127.0.0.1:9/other.zip", extract=True, cache_dir=str(home))
    message = str(error.value)
    assert "other.zip" in message and "not writable" in message and "KERAS_HOME" in message
    assert "assets install" in message
