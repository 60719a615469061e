"""keras.utils.get_file(..., extract=True): extracted once, whole, and never changed under a reader."""

from __future__ import annotations

import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from course_utils.assets import extraction

MEMBERS = {f"data/class_{i % 2}/{i:03}.txt": f"file {i}\n".encode() * 20 for i in range(60)}


def _zip(path, members=MEMBERS):
    with zipfile.ZipFile(path, "w") as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def _tgz(path, members=MEMBERS):
    import io

    with tarfile.open(path, "w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(payload))
    return path


@pytest.fixture
def guard():
    extraction.install_extraction_guard()  # tests/conftest.py removes every course guard afterwards


def _get(home, name):
    import keras

    return keras.utils.get_file(name, origin=f"file:///nowhere/{name}", extract=True, cache_dir=str(home))


def _placed(home, name):
    """A cache dir holding the archive ``name`` already (as the mirror install leaves it)."""
    (home / "datasets").mkdir(parents=True)
    return (_zip if name.endswith(".zip") else _tgz)(home / "datasets" / name)


def _fingerprint(folder):
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_ctime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize("name", ["small.zip", "small.tgz"])
def test_a_second_extraction_rewrites_nothing(guard, tmp_path, name):
    home = tmp_path / "keras_home"
    _placed(home, name)
    folder = _get(home, name)
    assert folder == str(home / "datasets" / "small_extracted")
    before = _fingerprint(home / "datasets" / "small_extracted")
    assert len(before) == len(MEMBERS)
    time.sleep(0.01)  # a rewrite would show in the files' times
    assert _get(home, name) == folder
    assert _fingerprint(home / "datasets" / "small_extracted") == before


def test_a_changed_archive_is_extracted_again(guard, tmp_path):
    home = tmp_path / "keras_home"
    archive = _placed(home, "small.zip")
    _get(home, "small.zip")
    _zip(archive, {"data/new.txt": b"new"})
    folder = home / "datasets" / "small_extracted"
    _get(home, "small.zip")
    assert [p.name for p in folder.rglob("*") if p.is_file()] == ["new.txt"]


def test_a_folder_keras_extracted_before_is_adopted_not_rewritten(guard, tmp_path):
    home = tmp_path / "keras_home"
    archive = _placed(home, "small.zip")
    folder = home / "datasets" / "small_extracted"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)  # what plain Keras left in an existing cache
    before = _fingerprint(folder)
    _get(home, "small.zip")
    assert _fingerprint(folder) == before


def test_an_interrupted_extraction_leaves_the_complete_folder(guard, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    archive = _placed(home, "small.tgz")
    _get(home, "small.tgz")
    folder = home / "datasets" / "small_extracted"
    before = sorted(p.name for p in folder.rglob("*"))
    _tgz(archive, {**MEMBERS, "data/extra.txt": b"new"})  # a newer archive: extracted again

    def stopped(self, path=".", *args, **kwargs):
        Path(path, "data").mkdir(parents=True, exist_ok=True)  # a few files in, then
        raise KeyboardInterrupt  # Jupyter's stop button, mid-extraction

    monkeypatch.setattr(tarfile.TarFile, "extractall", stopped)  # what every Keras 3 (3.8 too) extracts with
    with pytest.raises(KeyboardInterrupt):
        _get(home, "small.tgz")
    assert sorted(p.name for p in folder.rglob("*")) == before
    assert [p.name for p in (home / "datasets").iterdir() if p.is_dir()] == ["small_extracted"]  # no leftovers


def test_concurrent_extractions_never_show_a_half_folder(guard, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    _placed(home, "small.zip")
    folder = home / "datasets" / "small_extracted"
    real_extract_member = zipfile.ZipFile._extract_member

    def slow(self, *args, **kwargs):
        time.sleep(0.002)
        return real_extract_member(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "_extract_member", slow)
    seen: list[int] = []
    done = threading.Event()

    def reader():
        while not done.is_set():
            if folder.is_dir():
                seen.append(sum(1 for p in folder.rglob("*") if p.is_file()))

    errors: list[BaseException] = []

    def extract():
        try:
            _get(home, "small.zip")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=reader)] + [threading.Thread(target=extract) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join()
    done.set()
    threads[0].join()
    assert errors == []
    assert seen and set(seen) == {len(MEMBERS)}, f"a reader saw a half folder: {sorted(set(seen))}"
    assert len(_fingerprint(folder)) == len(MEMBERS)


def test_get_file_again_repairs_a_damaged_folder(guard, tmp_path):
    home = tmp_path / "keras_home"
    _placed(home, "small.zip")
    folder = Path(_get(home, "small.zip"))
    lost, cut = folder / "data/class_0/000.txt", folder / "data/class_1/001.txt"
    lost.unlink()
    cut.write_bytes(cut.read_bytes()[:5])  # a file cut short (an interrupted copy, a full disk)
    assert not extraction.is_complete(folder, home / "datasets" / "small.zip")
    _get(home, "small.zip")
    assert lost.read_bytes() == MEMBERS["data/class_0/000.txt"]
    assert cut.read_bytes() == MEMBERS["data/class_1/001.txt"]


def test_a_marker_without_the_file_list_is_checked_against_the_archive(guard, tmp_path):
    """A folder marked by an earlier course version is checked file by file once, then marked anew."""
    import json

    home = tmp_path / "keras_home"
    archive = _placed(home, "small.zip")
    folder = Path(_get(home, "small.zip"))
    marker = extraction.marker_path(folder)
    old = json.loads(marker.read_text())
    old.pop("files")
    marker.write_text(json.dumps(old))
    assert not extraction.is_complete(folder, archive)
    before = _fingerprint(folder)
    _get(home, "small.zip")
    assert _fingerprint(folder) == before and extraction.is_complete(folder, archive)


def test_checking_a_folder_of_3000_files_is_fast(tmp_path):
    members = {f"photos/class_{i % 5}/{i:04}.jpg": b"x" * (i % 97) for i in range(3000)}
    archive = _zip(tmp_path / "big.zip", members)
    folder = tmp_path / "big_extracted"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    extraction.extract_once(archive, folder, extract=lambda *args: pytest.fail("extracted again"))  # adopted
    started = time.perf_counter()
    assert extraction.is_complete(folder, archive)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5, f"checking 3,000 files took {elapsed:.3f} s"
