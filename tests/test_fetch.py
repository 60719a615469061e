"""Building a workshop mirror from origins, against a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
from functools import partial

import pytest

from course_utils.assets.fetch import fetch_mirror
from course_utils.assets.keras_cache import install_mirror
from course_utils.assets.manifest import AssetEntry, AssetError, Manifest

PAYLOADS = {"w_no_top.h5": b"w" * 5000, "data.zip": b"z" * 123}


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    for name, payload in PAYLOADS.items():
        (served / name).write_bytes(payload)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def entries(base: str, **sha) -> list[AssetEntry]:
    return [
        AssetEntry("models", "w_no_top.h5", f"{base}/w_no_top.h5", sha256=sha.get("w")),
        AssetEntry("datasets", "data.zip", f"{base}/data.zip"),
    ]


def test_fetch_downloads_verifies_and_writes_a_manifest(server, tmp_path):
    out = tmp_path / "mirror"
    good = hashlib.sha256(PAYLOADS["w_no_top.h5"]).hexdigest()
    fetch_mirror(out, entries(server, w=good), progress=lambda _: None)
    manifest = Manifest.load(out)
    assert {e.filename: e.sha256 for e in manifest.files} == {
        name: hashlib.sha256(payload).hexdigest() for name, payload in PAYLOADS.items()
    }
    assert (out / "keras" / "models" / "w_no_top.h5").read_bytes() == PAYLOADS["w_no_top.h5"]
    # the fetched mirror installs like any other
    home = tmp_path / "home"
    install_mirror(out, home)
    assert (home / "datasets" / "data.zip").read_bytes() == PAYLOADS["data.zip"]


def test_fetch_rejects_a_download_with_the_wrong_hash(server, tmp_path):
    out = tmp_path / "mirror"
    with pytest.raises(AssetError, match="Checksum mismatch"):
        fetch_mirror(out, entries(server, w="1" * 64), progress=lambda _: None)
    assert not any(p.is_file() for p in out.rglob("*"))


def test_fetch_offline_fails_clearly(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(AssetError, match="needs an internet connection"):
        fetch_mirror(tmp_path / "m", entries(f"http://127.0.0.1:{port}"), timeout=2, progress=lambda _: None)


def test_a_second_fetch_downloads_nothing_it_already_has(server, tmp_path):
    out = tmp_path / "mirror"
    fetch_mirror(out, entries(server), progress=lambda _: None)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    lines = []
    fetch_mirror(out, entries(dead), progress=lines.append)  # would fail if it tried to download
    assert sum(line.startswith("have") for line in lines) == 2


def test_a_missing_file_on_the_server_is_not_called_offline(server, tmp_path):
    gone = [AssetEntry("models", "gone.h5", f"{server}/gone.h5")]
    with pytest.raises(AssetError, match="404"):
        fetch_mirror(tmp_path / "m", gone, progress=lambda _: None)
