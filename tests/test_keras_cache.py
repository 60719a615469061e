"""The offline mirror: install, idempotence, checksums, status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from mirrors import make_mirror

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
    live = home / "models" / f".other.h5.{os.getppid()}.abcdefgh.partial"  # a process that still runs
    live.write_bytes(b"being written")
    install_mirror(mirror, home)
    assert not stale.exists() and live.exists()


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
