"""The offline mirror: install, idempotence, checksums, status."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import threading

import pytest
from mirrors import make_mirror, read_only

from course_utils.assets import keras_cache
from course_utils.assets.keras_cache import (
    asset_status,
    format_status,
    install_mirror,
    mirror_location,
    status_report,
)
from course_utils.assets.manifest import AssetError, Manifest

ALIASES = {"models/weights_224_no_top.h5": ["weights_160_no_top.h5", "weights_96_no_top.h5"]}


@pytest.fixture
def mirror(tmp_path):
    return make_mirror(tmp_path / "mirror", aliases=ALIASES)


def test_install_puts_every_file_and_alias_where_keras_looks(mirror, tmp_path):
    home = tmp_path / "keras_home"
    report = install_mirror(mirror, home)
    for name in ("weights_224_no_top.h5", "weights_160_no_top.h5", "weights_96_no_top.h5"):
        assert (home / "models" / name).read_bytes() == b"weights" * 100
    assert (home / "datasets" / "data.zip").read_bytes() == b"zipbytes"
    assert len(report.copied) == 2 and len(report.linked) == 2


def test_second_install_is_a_no_op_without_rehashing(mirror, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    install_mirror(mirror, home)

    def no_hashing(path):
        raise AssertionError(f"re-hashed {path}")

    monkeypatch.setattr(keras_cache, "sha256_of", no_hashing)
    report = install_mirror(mirror, home)
    assert report.changed == 0 and len(report.up_to_date) == 4


def test_a_deleted_installed_file_is_installed_again(mirror, tmp_path):
    home = tmp_path / "keras_home"
    install_mirror(mirror, home)
    target = home / "datasets" / "data.zip"
    target.unlink()
    report = install_mirror(mirror, home)
    assert report.copied == ["datasets/data.zip"] and target.read_bytes() == b"zipbytes"


def test_a_damaged_installed_file_is_replaced_aliases_included(mirror, tmp_path):
    home = tmp_path / "keras_home"
    install_mirror(mirror, home)
    primary = home / "models" / "weights_224_no_top.h5"
    with open(primary, "r+b") as handle:  # truncated in place: its hard-linked aliases are damaged too
        handle.truncate(10)
    report = install_mirror(mirror, home)
    assert not report.kept_different
    for name in ("weights_224_no_top.h5", "weights_160_no_top.h5", "weights_96_no_top.h5"):
        assert (home / "models" / name).read_bytes() == b"weights" * 100
    assert install_mirror(mirror, home).changed == 0


def test_checksum_mismatch_names_the_file_leaves_nothing_behind_and_installs_the_rest(tmp_path):
    bad = make_mirror(tmp_path / "mirror", bad_hash={"datasets/data.zip"})
    home = tmp_path / "keras_home"
    report = install_mirror(bad, home)
    assert list(report.failed) == ["keras/datasets/data.zip"]
    assert "Checksum mismatch" in report.failed["keras/datasets/data.zip"]
    assert "NOT installed" in report.summary() and "data.zip" in report.summary()
    leftovers = [p.name for p in (home / "datasets").iterdir()] if (home / "datasets").exists() else []
    assert leftovers == []
    assert (home / "models" / "weights_224_no_top.h5").is_file()  # the good file is installed all the same


def test_an_existing_different_file_is_kept_not_overwritten(mirror, tmp_path):
    home = tmp_path / "keras_home"
    official = home / "models" / "weights_224_no_top.h5"
    official.parent.mkdir(parents=True)
    official.write_bytes(b"the official download")
    report = install_mirror(mirror, home)
    assert official.read_bytes() == b"the official download"
    assert "models/weights_224_no_top.h5" in report.kept_different
    assert "differ from the mirror" in report.summary()
    states = {row.cache_path: row.state for row in asset_status(mirror, home)}
    assert states["models/weights_224_no_top.h5"] == "differs from mirror"
    install_mirror(mirror, home)  # and on every later install too
    assert official.read_bytes() == b"the official download"


def test_a_file_listed_but_missing_from_the_mirror_is_reported_and_the_rest_installed(mirror, tmp_path):
    (mirror / "keras" / "datasets" / "data.zip").unlink()
    report = install_mirror(mirror, tmp_path / "home")
    assert "missing" in report.failed["keras/datasets/data.zip"] and "Copy the mirror again" in report.summary()
    assert (tmp_path / "home" / "models" / "weights_224_no_top.h5").is_file()


def test_mirror_location_comes_from_the_setting(mirror, monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_ASSETS", raising=False)
    assert mirror_location() is None
    monkeypatch.setenv("COURSE_ASSETS", str(mirror))
    assert mirror_location() == mirror.resolve()
    assert mirror_location(tmp_path / "mirror") == mirror.resolve()
    monkeypatch.setenv("COURSE_ASSETS", str(tmp_path / "nowhere"))
    with pytest.raises(AssetError, match="does not exist"):
        mirror_location()


def test_a_folder_without_manifest_is_explained(tmp_path):
    with pytest.raises(AssetError, match="manifest.json"):
        Manifest.load(tmp_path)


def test_status_reports_missing_installed_and_aliases(mirror, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setattr(keras_cache, "keras_home", lambda: home)
    before = status_report(mirror)
    assert "missing" in before and "assets install" in before
    install_mirror(mirror, home)
    after = status_report(mirror)
    assert "Everything is in place" in after
    assert "alias of weights_224_no_top.h5" in after
    assert "reconstructed" in after


def test_installed_files_are_readable_by_others(mirror, tmp_path):
    old = os.umask(0o022)
    try:
        install_mirror(mirror, tmp_path / "keras_home")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "keras_home" / "datasets" / "data.zip").st_mode & 0o777 == 0o644


def test_a_damaged_state_file_only_costs_a_rehash(mirror, tmp_path):
    home = tmp_path / "keras_home"
    install_mirror(mirror, home)
    (home / keras_cache.STATE_NAME).write_text("[]")
    report = install_mirror(mirror, home)
    assert report.changed == 0 and len(report.up_to_date) == 4


def test_manifest_written_by_fetch_is_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        Manifest(files=[]).save(tmp_path)
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "manifest.json").st_mode & 0o777 == 0o644


def test_a_file_the_learner_put_over_an_installed_one_is_kept(mirror, tmp_path):
    home = tmp_path / "keras_home"
    install_mirror(mirror, home)
    mine = home / "datasets" / "data.zip"
    mine.unlink()
    mine.write_bytes(b"my own download of the dataset")
    report = install_mirror(mirror, home)
    assert mine.read_bytes() == b"my own download of the dataset"
    assert "datasets/data.zip" in report.kept_different
    assert mine.read_bytes() == b"my own download of the dataset" and install_mirror(mirror, home).changed == 0


def test_corruption_that_keeps_size_and_time_is_found_by_verify_and_replaced(mirror, tmp_path):
    home = tmp_path / "keras_home"
    install_mirror(mirror, home)
    path = home / "datasets" / "data.zip"
    stat = path.stat()
    path.write_bytes(b"Z" + path.read_bytes()[1:])  # one byte flipped, same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same modification time
    assert {row.state for row in asset_status(mirror, home)} == {"installed"}  # the quick look cannot tell
    rows = {row.cache_path: row.state for row in asset_status(mirror, home, verify=True)}
    assert rows["datasets/data.zip"] == "differs from mirror"
    text = format_status(asset_status(mirror, home, verify=True), mirror, home, verified=True)
    assert "differ from the mirror" in text and "Everything is in place" not in text
    install_mirror(mirror, home)  # the installer's own file, damaged in place: replaced
    assert path.read_bytes() == b"zipbytes"


def test_status_never_says_in_place_next_to_a_differing_file(mirror, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setattr(keras_cache, "keras_home", lambda: home)
    install_mirror(mirror, home)
    path = home / "datasets" / "data.zip"
    path.unlink()
    path.write_bytes(b"something else")
    text = status_report(mirror)
    assert "differs from mirror" in text and "Everything is in place" not in text
    verified = status_report(mirror, verify=True)
    assert "differs from mirror" in verified and "Everything is in place" not in verified


def test_partial_files_of_a_killed_install_are_removed(mirror, tmp_path):
    home = tmp_path / "keras_home"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = home / "models" / f".weights_224_no_top.h5.{dead.pid}.k3j9x_q1.partial"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a file")
    install_mirror(mirror, home)  # an install still writing would hold the lock: see the lock tests below
    assert not stale.exists()


def test_a_relative_mirror_setting_resolves_where_it_was_set(mirror, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "mirror" / "keras")  # where a notebook kernel would run: not where it was set
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("COURSE_ASSETS", "mirror")
    assert mirror_location() == mirror.resolve()
    assert os.environ["COURSE_ASSETS"] == str(mirror.resolve())  # written back: every later reader agrees


@pytest.mark.parametrize(
    "field, value",
    [("path", "../../outside.h5"), ("cache_subdir", "../escape"), ("aliases", ["../x.h5"]), ("path", "/etc/x.h5")],
)
def test_a_manifest_path_leading_outside_is_refused_before_anything_is_written(mirror, tmp_path, field, value):
    manifest = json.loads((mirror / "manifest.json").read_text())
    manifest["files"][0][field] = value
    (mirror / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AssetError, match="relative path inside"):
        install_mirror(mirror, tmp_path / "home" / "keras")
    assert not (tmp_path / "home").exists()


def _keras_home_setting(monkeypatch, value):
    """``KERAS_HOME=value``, also for a Keras imported earlier (Keras reads the variable once, on import)."""
    monkeypatch.setenv("KERAS_HOME", str(value))
    if "keras" in sys.modules:
        from keras.src.backend import config

        monkeypatch.setattr(config, "_KERAS_DIR", str(value))


class _FullDisk(io.RawIOBase):
    """A mirror file that fails like a full disk once its first bytes are copied."""

    def __init__(self, stream):
        self.stream, self.calls = stream, 0

    def read(self, size=-1):
        self.calls += 1
        if self.calls > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.stream.read(5)


def test_a_full_disk_says_what_was_not_installed_the_space_and_the_fix(mirror, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    real = keras_cache.copy_stream_verified

    def copy(stream, dest, sha256, label):
        return real(_FullDisk(stream) if dest.name == "weights_224_no_top.h5" else stream, dest, sha256, label)

    monkeypatch.setattr(keras_cache, "copy_stream_verified", copy)
    report = install_mirror(mirror, home)
    assert (home / "datasets" / "data.zip").read_bytes() == b"zipbytes"  # the install went on past it
    assert list(report.failed) == ["keras/models/weights_224_no_top.h5"]
    text = report.summary()
    assert "disk is full" in text and "weights_224_no_top.h5" in text
    assert "needs 700 bytes" in text and "free" in text and "free some space" in text
    assert [p.name for p in home.rglob("*") if "partial" in p.name] == []  # nothing half-written
    monkeypatch.setattr(keras_cache, "copy_stream_verified", real)
    assert len(install_mirror(mirror, home).copied) == 1  # once there is room: the rest is installed


def test_a_concurrent_first_install_keeps_the_record_of_installed_files(mirror, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    real_save = keras_cache._State.save
    first_saved = threading.Event()
    saves: list[object] = []
    other = threading.Thread(target=install_mirror, args=(mirror, home))

    def save(self):
        saves.append(self)
        if len(saves) == 1:  # the first install, done copying: a second one starts now
            other.start()
            other.join(1.0)  # it either runs (and must not win with stale records) or waits for the lock
            real_save(self)
            first_saved.set()
        else:
            first_saved.wait(5)
            real_save(self)

    monkeypatch.setattr(keras_cache._State, "save", save)
    install_mirror(mirror, home)
    other.join()
    records = json.loads((home / keras_cache.STATE_NAME).read_text())
    assert {rel: record["installed"] for rel, record in records.items()} == dict.fromkeys(records, True)
    assert len(records) == 4


def test_status_saved_alongside_an_install_keeps_what_the_install_recorded(mirror, tmp_path):
    home = tmp_path / "keras_home"
    status_state = keras_cache._State(home)  # a status check that started before the install finished
    install_mirror(mirror, home)
    keras_cache._current_sha256(status_state, home, "datasets/data.zip")
    status_state.save()
    assert keras_cache._State(home).installed_by_us(home, "datasets/data.zip")


def test_installing_leaves_the_process_umask_alone(mirror, tmp_path, monkeypatch):
    real_umask = os.umask
    old = real_umask(0o022)
    try:
        monkeypatch.setattr(os, "umask", lambda mask: pytest.fail("the process-wide umask was changed"))
        install_mirror(mirror, tmp_path / "keras_home")
        Manifest(files=[]).save(tmp_path)
    finally:
        monkeypatch.undo()
        real_umask(old)
    assert os.stat(tmp_path / "keras_home" / "datasets" / "data.zip").st_mode & 0o777 == 0o644
    assert os.stat(tmp_path / "manifest.json").st_mode & 0o777 == 0o644


def test_no_process_is_signalled_to_find_live_installers(mirror, tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    left = home / "models" / f".weights_224_no_top.h5.{os.getppid()}.abcdefgh.partial"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half a file")

    def kill(pid, sig):  # on Windows signal 0 is CTRL_C_EVENT, and the OSError it may raise
        raise OSError(22, "The parameter is incorrect")

    monkeypatch.setattr(os, "kill", kill)
    install_mirror(mirror, home)
    assert not left.exists()  # no install holds the cache's lock: what it finds is left over


def test_an_install_waits_for_one_holding_the_lock(mirror, tmp_path):
    from course_utils.assets.locks import holding

    home = tmp_path / "keras_home"
    done = threading.Event()
    with holding(keras_cache.install_target(home), "installing (the test)"):
        worker = threading.Thread(target=lambda: (install_mirror(mirror, home), done.set()))
        worker.start()
        assert not done.wait(1.5)
    worker.join()
    assert done.is_set() and (home / "datasets" / "data.zip").is_file()


def test_a_relative_keras_home_resolves_where_it_was_set(tmp_path, monkeypatch):
    (tmp_path / "notebooks" / "cache").mkdir(parents=True)  # a kernel's own cache, made by an earlier run
    monkeypatch.chdir(tmp_path / "notebooks")  # where a kernel runs: not where the setting was made
    monkeypatch.setenv("PWD", str(tmp_path))
    _keras_home_setting(monkeypatch, "cache")
    assert keras_cache.keras_home() == tmp_path / "cache"
    assert os.environ["KERAS_HOME"] == str(tmp_path / "cache")  # written back: every later reader agrees
    if "keras" in sys.modules:
        from keras.src.backend import config

        assert config.keras_home() == str(tmp_path / "cache")


def test_a_relative_tfds_data_dir_resolves_where_it_was_set(tmp_path, monkeypatch):
    from course_utils.assets.locations import resolve_data_dirs

    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("TFDS_DATA_DIR", "tfds")
    if "tensorflow_datasets" in sys.modules:
        from tensorflow_datasets.core import constants

        monkeypatch.setattr(constants, "DATA_DIR", "tfds")
    resolve_data_dirs()
    assert os.environ["TFDS_DATA_DIR"] == str(tmp_path / "tfds")
    if "tensorflow_datasets" in sys.modules:
        assert str(tmp_path / "tfds") == constants.DATA_DIR


def test_a_read_only_keras_home_is_used_for_what_it_holds(mirror, tmp_path, monkeypatch):
    shared = tmp_path / "instructor_cache"
    install_mirror(mirror, shared)  # filled by the instructor, then mounted read-only
    _keras_home_setting(monkeypatch, shared)
    read_only(monkeypatch, shared)
    assert keras_cache.keras_home() == shared  # not a fallback in /tmp shared by every account
    report = install_mirror(mirror)
    assert not report.failed and len(report.up_to_date) == 4
    assert "not writable" in report.summary()


def test_a_read_only_keras_home_missing_files_says_so_and_how_to_fix(tmp_path, monkeypatch):
    shared = tmp_path / "instructor_cache"
    shared.mkdir()
    mirror = make_mirror(tmp_path / "mirror")
    _keras_home_setting(monkeypatch, shared)
    read_only(monkeypatch, shared)
    report = install_mirror(mirror)
    assert set(report.failed) == {"keras/models/weights_224_no_top.h5", "keras/datasets/data.zip"}
    text = report.summary()
    assert "not writable" in text and "KERAS_HOME" in text and "assets install" in text
    assert list(shared.iterdir()) == []


def test_doctor_says_a_read_only_keras_home_is_read_only(mirror, tmp_path, monkeypatch):
    from course_utils.assets import doctor

    shared = tmp_path / "instructor_cache"
    install_mirror(mirror, shared)
    _keras_home_setting(monkeypatch, shared)
    read_only(monkeypatch, shared)
    monkeypatch.delenv("COURSE_ASSETS", raising=False)
    monkeypatch.setattr("course_utils.assets.download_guard.can_reach", lambda url, timeout=0: False)
    (line,) = [finding for finding in doctor.asset_findings() if finding.topic == "keras cache"]
    assert line.level == "warn" and str(shared) in line.message and "not writable" in line.message
