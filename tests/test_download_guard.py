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
