"""``doctor`` and the command line."""

from __future__ import annotations

import argparse
import sys
from collections import namedtuple

import pytest
from mirrors import make_mirror
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from course_utils.assets import doctor
from course_utils.tooling.cli import build_parser, main


def test_doctor_passes_on_this_environment(monkeypatch, capsys):
    monkeypatch.setattr(doctor, "asset_findings", lambda verify=False: [doctor.Finding("ok", "assets", "stub")])
    assert doctor.run_doctor() == 0
    out = capsys.readouterr().out
    assert "[OK  ] tensorflow" in out and "Ready for the course" in out
    assert "memory available" in out  # beside the disk


def test_low_disk_is_blocking_with_advice(monkeypatch, tmp_path):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(doctor.shutil, "disk_usage", lambda path: usage(10**12, 10**12, 2 * 10**8))
    finding = doctor.disk_finding(tmp_path)
    assert finding.level == "fail" and "free some space" in finding.message


def test_memory_is_judged_against_the_lessons_measured_peaks():
    plenty = doctor.memory_finding(total_gb=16, available_gb=doctor.FULL_PEAK_GB + 1)
    assert plenty.level == "ok" and "memory available" in plenty.message
    quick_only = doctor.memory_finding(total_gb=8, available_gb=(doctor.QUICK_PEAK_GB + doctor.FULL_PEAK_GB) / 2)
    assert quick_only.level == "warn" and '"quick"' in quick_only.message
    crowded = doctor.memory_finding(total_gb=8, available_gb=doctor.QUICK_PEAK_GB / 2)
    assert crowded.level == "warn" and "close other programs" in crowded.message
    too_small = doctor.memory_finding(total_gb=doctor.QUICK_PEAK_GB / 2, available_gb=doctor.QUICK_PEAK_GB / 3)
    assert too_small.level == "fail" and "edition" in too_small.message


def test_missing_package_is_blocking(monkeypatch):
    def not_installed(name):
        raise doctor.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(doctor.metadata, "version", not_installed)
    finding = doctor.package_finding("tensorflow")
    assert finding.level == "fail" and "install" in finding.message


def test_offline_without_cache_or_mirror_is_blocking(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_ASSETS", raising=False)
    monkeypatch.setattr(doctor, "keras_home", lambda: tmp_path)
    monkeypatch.setattr("course_utils.assets.download_guard.can_reach", lambda url, timeout=3: False)
    findings = doctor.asset_findings()
    assert findings[-1].level == "fail" and "COURSE_ASSETS" in findings[-1].message


def test_cli_assets_install_and_status(monkeypatch, tmp_path, capsys):
    mirror = make_mirror(tmp_path / "mirror")
    home = tmp_path / "home"
    monkeypatch.setattr("course_utils.assets.keras_cache.keras_home", lambda: home)
    assert main(["assets", "install", "--assets", str(mirror)]) == 0
    assert "2 copied" in capsys.readouterr().out
    assert main(["assets", "status", "--assets", str(mirror)]) == 0
    assert "Everything is in place" in capsys.readouterr().out


def test_cli_install_without_mirror_says_how(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_ASSETS", raising=False)
    assert main(["assets", "install"]) == 2
    assert "COURSE_ASSETS" in capsys.readouterr().err


def test_cli_bad_mirror_is_an_error_not_a_traceback(tmp_path, capsys):
    assert main(["assets", "status", "--assets", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_fetch_requires_a_destination():
    with pytest.raises(SystemExit):
        main(["assets", "fetch"])


def test_doctor_reads_the_bounds_pyproject_declares(monkeypatch):
    from course_utils.tooling.paths import PYPROJECT

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    declared = {Requirement(text).name: str(Requirement(text).specifier) for text in project["dependencies"]}
    python, bounds = doctor.declared_bounds()
    assert str(python) == str(SpecifierSet(project["requires-python"]))
    assert str(bounds["keras"]) == declared["keras"] and str(bounds["tensorflow"]) == declared["tensorflow"]

    def not_installed(name):  # a plain clone: the package's metadata is not there, pyproject.toml is
        raise doctor.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(doctor.metadata, "metadata", not_installed)
    assert doctor.declared_bounds() == (python, bounds)


def test_a_package_outside_the_tested_range_is_a_warning(monkeypatch):
    monkeypatch.setattr(doctor.metadata, "version", lambda name: "3.99.0")
    finding = doctor.package_finding("keras")
    assert finding.level == "warn" and "outside the tested range" in finding.message


def _commands() -> dict[str, str]:
    """Every subcommand registered in the parser, with the one line the top-level ``--help`` gives it."""
    parser = build_parser()
    (commands,) = (action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    summaries = {choice.dest: choice.help or "" for choice in commands._choices_actions}  # only those with help=
    return {name: summaries.get(name, "") for name in commands.choices}


def _help_text(capsys, *argv: str) -> str:
    """What ``python -m course_utils ARGV --help`` prints, its whitespace collapsed (argparse wraps lines)."""
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"])
    assert stopped.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_help_lists_every_command_with_what_it_does(capsys):
    commands = _commands()
    assert {"assets", "doctor", "run", "negative-control", "outputs", "edition", "site", "timings"} <= set(commands)
    listing = _help_text(capsys)
    for name, summary in commands.items():
        assert summary, f"the command {name!r} has no help= line in course_utils/tooling/cli.py"
        assert f"{name} {summary}" in listing, f"--help does not list {name!r} with its summary"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_each_command_has_its_own_help_saying_what_it_does(capsys, name):
    summary = _commands()[name]
    text = _help_text(capsys, name)
    assert text.startswith(f"usage: python -m course_utils {name}"), text[:200]
    assert summary and summary in text, f"'{name} --help' does not say what {name!r} does ({summary!r}): {text}"
    others = [other for other, line in _commands().items() if other != name and line and line in text]
    assert not others, f"'{name} --help' describes other commands: {others}"


def _doctor_says(monkeypatch, capsys, mirror, home, *args) -> tuple[int, str]:
    monkeypatch.setenv("COURSE_ASSETS", str(mirror))
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(doctor, "keras_home", lambda: home)
    monkeypatch.setattr("course_utils.assets.keras_cache.keras_home", lambda: home)
    monkeypatch.setattr(doctor, "kernel_finding", lambda: doctor.Finding("ok", "jupyter kernel", "stub"))
    code = main(["doctor", *args])
    return code, capsys.readouterr().out


def test_doctor_is_not_ready_without_a_manifest_or_with_an_invalid_one(monkeypatch, capsys, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    code, out = _doctor_says(monkeypatch, capsys, mirror, tmp_path / "home")
    assert code == 1 and "No manifest.json" in out and "Ready" not in out
    (mirror / "manifest.json").write_text("{not json")
    code, out = _doctor_says(monkeypatch, capsys, mirror, tmp_path / "home")
    assert code == 1 and "not a valid asset manifest" in out and "Ready" not in out


def test_doctor_is_not_ready_with_a_truncated_cached_file(monkeypatch, capsys, tmp_path):
    from course_utils.assets.keras_cache import install_mirror

    mirror, home = make_mirror(tmp_path / "mirror"), tmp_path / "home"
    install_mirror(mirror, home)
    with open(home / "datasets" / "data.zip", "r+b") as handle:
        handle.truncate(3)
    code, out = _doctor_says(monkeypatch, capsys, mirror, home)
    assert code == 1 and "differ from the mirror" in out and "datasets/data.zip" in out and "Ready" not in out


def test_cli_install_reports_a_damaged_mirror_file_and_fails(monkeypatch, tmp_path, capsys):
    mirror = make_mirror(tmp_path / "mirror", bad_hash={"datasets/data.zip"})
    monkeypatch.setattr("course_utils.assets.keras_cache.keras_home", lambda: tmp_path / "home")
    assert main(["assets", "install", "--assets", str(mirror)]) == 1
    out = capsys.readouterr().out
    assert "1 copied" in out and "NOT installed" in out and "data.zip" in out


def test_doctor_says_how_to_fix_a_keras_home_that_is_a_file(monkeypatch, capsys, tmp_path):
    home = tmp_path / "keras_home"
    home.write_text("a file where the cache folder should be")
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setenv("COURSE_ASSETS", str(make_mirror(tmp_path / "mirror")))
    monkeypatch.setattr(doctor, "keras_home", lambda: home)
    monkeypatch.setattr("course_utils.assets.keras_cache.keras_home", lambda: home)
    monkeypatch.setattr(doctor, "kernel_finding", lambda: doctor.Finding("ok", "jupyter kernel", "stub"))
    code = main(["doctor"])
    out = capsys.readouterr().out
    assert code == 1 and "Ready" not in out
    assert f"[FAIL] keras cache: KERAS_HOME ({home}) is a file" in out and "point KERAS_HOME at a folder" in out


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda path: path.write_bytes(b"zipbyteX"), "damaged (sha256"),  # same size, other bytes
        (lambda path: path.write_bytes(b"zip"), "damaged (3 bytes, the manifest says 8)"),
        (lambda path: path.unlink(), "missing"),
    ],
)
def test_doctor_names_a_damaged_mirror_file_rather_than_sending_back_to_assets_install(
    monkeypatch, capsys, tmp_path, damage, says
):
    from course_utils.assets.keras_cache import install_mirror

    mirror, home = make_mirror(tmp_path / "mirror"), tmp_path / "home"
    damage(mirror / "keras" / "datasets" / "data.zip")
    assert install_mirror(mirror, home).failed  # 'assets install' cannot install it: no use advising it
    code, out = _doctor_says(monkeypatch, capsys, mirror, home)
    (line,) = [line for line in out.splitlines() if "keras/datasets/data.zip" in line]
    assert code == 1 and line.startswith("[FAIL] assets: ") and "Ready" not in out
    assert f"the mirror's copy of keras/datasets/data.zip is {says}" in line and "copy it again" in line, line
