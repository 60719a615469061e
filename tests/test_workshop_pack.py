"""The workshop pack (``course_utils pack build``) and its stand-alone installer, on a tiny course, mirror and index.

pip is replaced by a fake that "downloads" tiny wheels from a dictionary and evaluates markers for the machine it
runs on, as pip does; nothing here uses the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from mirrors import make_mirror
from packaging.markers import default_environment
from packaging.requirements import Requirement

from course_utils.tooling import wheel_tags, workshop_install, workshop_pack
from course_utils.tooling.cli import main
from course_utils.tooling.workshop_install import InstallError
from course_utils.tooling.workshop_pack import PackError

#: name -> (version, Requires-Dist, PyPI has only the source); what the fake pip can "download".
INDEX = {
    "pip": ("25.0", [], False),
    "setuptools": ("80.0", [], False),
    "wheel": ("0.45.0", [], False),
    "demo": ("1.0", ["promise>=2", "helper>=1; sys_platform == 'win32'", "extra-dep; extra == 'more'"], False),
    "promise": ("2.3", [], True),
    "helper": ("1.1", [], False),
    "extra-dep": ("3.0", [], False),
}
PYPROJECT = """[build-system]
requires = ["setuptools>=77", "wheel"]
[project]
name = "course-utils"
version = "0"
dependencies = ["demo>=1"]
"""
OPTIONS_WITH_VALUE = {"-d", "-r", "-w", "--platform", "--python-version", "--find-links", "--progress-bar"}


def make_wheel(folder: Path, name: str, version: str, requires: list[str], tag: str = "py3-none-any") -> Path:
    """A wheel file that holds only its metadata."""
    stem = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{stem}-{tag}.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{stem}.dist-info/METADATA", metadata)
    return path


class FakePip:
    """Stands in for ``workshop_pack.run_pip``: download, wheel and install --dry-run, from ``INDEX``."""

    def __init__(self, no_wheel_on: str = "never", honours_markers: bool = True):
        self.calls: list[list[str]] = []
        self.no_wheel_on = no_wheel_on  # a platform whose downloads find no wheel of demo
        self.installed_course = ""  # the pyproject.toml of what ``install --dry-run`` was given
        self.honours_markers = honours_markers  # whether run_pip(markers=...) reaches pip's marker evaluation

    def __call__(self, args, env=None, markers=None, wheel=None) -> tuple[int, str]:
        args = [str(a) for a in args]
        self.calls.append(args)
        options, positional = self._parse(args[1:])
        if args[0] == "wheel":
            name, version = Path(positional[0]).name.removesuffix(".tar.gz").rsplit("-", 1)
            make_wheel(Path(options["-w"]), name, version, INDEX[name][1])
            return 0, "Successfully built\n"
        if args[0] == "install":
            self.installed_course = (Path(positional[-1]) / "pyproject.toml").read_text()
            return 0, "Would install ...\n"
        lines = Path(options["-r"]).read_text().split() if "-r" in options else []
        environment = markers if markers and self.honours_markers else {}
        return self._download(Path(options["-d"]), [*lines, *positional], options, environment)

    @staticmethod
    def _parse(args: list[str]) -> tuple[dict[str, str], list[str]]:
        options, positional, rest = {}, [], iter(args)
        for arg in rest:
            if arg in OPTIONS_WITH_VALUE:
                options[arg] = next(rest)
            elif not arg.startswith("-"):
                positional.append(arg)
        return options, positional

    def _download(self, dest: Path, requirements: list[str], options: dict, environment: dict) -> tuple[int, str]:
        binary_only = "--platform" in options
        pending = [Requirement(text) for text in requirements]
        while pending:
            requirement = pending.pop()
            if requirement.marker is not None and not requirement.marker.evaluate({**environment, "extra": ""}):
                continue  # without markers given, pip evaluates them for the machine it runs on
            version, requires, source_only = INDEX[requirement.name]
            if binary_only and requirement.name == "demo" and options["--platform"].startswith(self.no_wheel_on):
                return 1, f"ERROR: No matching distribution found for {requirement}\n"
            if source_only and binary_only:
                built = list(Path(options["--find-links"]).glob(f"{requirement.name}-*.whl"))
                if not built:
                    return 1, f"ERROR: No matching distribution found for {requirement}\n"
                shutil.copy(built[0], dest)
            elif source_only:
                (dest / f"{requirement.name}-{version}.tar.gz").write_bytes(b"source")
            else:
                make_wheel(dest, requirement.name, version, requires)
            pending += [Requirement(text) for text in requires]
        return 0, "Successfully downloaded\n"


def make_course(root: Path) -> Path:
    """A git clone of a tiny course: notebooks/, tests/thresholds.toml, edition/ and pyproject.toml, committed."""
    files = {
        "notebooks/00_setup.ipynb": "{}",
        "tests/thresholds.toml": "",
        "edition/00_setup.ipynb": '{"executed": true}',
        "pyproject.toml": PYPROJECT,
        ".gitignore": "build/\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "course"], check=True)
    return root


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path / "course")


@pytest.fixture
def pip(monkeypatch):
    fake = FakePip()
    monkeypatch.setattr(workshop_pack, "run_pip", fake)
    return fake


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    path = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("COURSE_ASSETS", str(path))
    return path


@pytest.fixture
def pack(tmp_path, course, mirror, pip):
    return workshop_pack.build_pack(tmp_path / "pack", root=course)


def manifest_of(pack: Path) -> dict:
    return json.loads((pack / "pack.json").read_text())


# --- SHA256SUMS ----------------------------------------------------------------------------------------------


def test_sums_cover_every_file_in_sha256sum_format(tmp_path):
    (tmp_path / "wheels" / "a").mkdir(parents=True)
    (tmp_path / "wheels" / "a" / "x.whl").write_bytes(b"wheel")
    (tmp_path / "install.py").write_text("print()")
    assert workshop_pack.write_sums(tmp_path) == 2
    lines = (tmp_path / "SHA256SUMS").read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == ["install.py", "wheels/a/x.whl"]
    assert workshop_install.verify_sums(tmp_path) == 2
    if shutil.which("sha256sum"):  # the format GNU coreutils checks
        assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=tmp_path).returncode == 0


def test_a_tampered_or_missing_file_is_named(tmp_path):
    for name in ("a.whl", "b.whl", "c.whl"):
        (tmp_path / name).write_bytes(name.encode())
    workshop_pack.write_sums(tmp_path)
    (tmp_path / "b.whl").write_bytes(b"flipped")
    (tmp_path / "c.whl").unlink()
    with pytest.raises(InstallError) as error:
        workshop_install.verify_sums(tmp_path)
    message = str(error.value)
    assert "b.whl: damaged" in message and "c.whl: missing" in message and "a.whl" not in message
    assert "Copy the pack folder again" in message


def test_only_the_files_an_install_uses_are_checked(tmp_path):
    for name in ("wheels/mine/a.whl", "wheels/other/b.whl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    workshop_pack.write_sums(tmp_path)
    (tmp_path / "wheels/other/b.whl").write_bytes(b"another platform's, damaged")
    assert workshop_install.verify_sums(tmp_path, under=("wheels/mine",)) == 1
    with pytest.raises(InstallError, match="wheels/other/b.whl"):
        workshop_install.verify_sums(tmp_path, under=("wheels/other",))


def test_missing_sums_file_says_the_pack_is_unfinished(tmp_path):
    with pytest.raises(InstallError, match="SHA256SUMS is written last"):
        workshop_install.verify_sums(tmp_path)


# --- the pack's layout ---------------------------------------------------------------------------------------


def test_pack_holds_the_committed_course_mirror_wheels_and_installer(pack, mirror):
    manifest = manifest_of(pack)
    archive = pack / manifest["course"]["archive"]
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert "keras-transfer-learning/edition/00_setup.ipynb" in names  # the committed executed copies
    assert "keras-transfer-learning/pyproject.toml" in names
    assert (pack / "assets" / "manifest.json").read_bytes() == (mirror / "manifest.json").read_bytes()
    assert (pack / "install.py").read_bytes() == Path(workshop_install.__file__).read_bytes()
    assert "install.py --target" in (pack / "INSTALL.md").read_text()
    [house] = manifest["wheelhouses"]
    wheels = sorted(p.name.split("-")[0] for p in (pack / house["folder"]).iterdir())
    assert wheels == ["demo", "pip", "promise", "setuptools", "wheel"]  # the sdist was built and dropped
    assert "promise 2.3: PyPI has only its source" in manifest["notes"][0] and "every platform" in manifest["notes"][0]
    assert house["python"] == "{}.{}".format(*sys.version_info[:2]) and house["files"] == 5
    listed = {line.split("  ")[1] for line in (pack / "SHA256SUMS").read_text().splitlines()}
    assert listed == {p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert f"{len(listed) + 1} files) in 0.5 min" in workshop_pack.summary(pack, manifest, 30)
    assert not pack.with_name("pack.partial").exists()


def test_the_host_wheelhouse_is_checked_to_install_offline(pack, pip):
    [dry_run] = [call for call in pip.calls if call[0] == "install"]
    assert {"--dry-run", "--no-index", "--ignore-installed"} <= set(dry_run)
    assert pip.installed_course == PYPROJECT  # the archived course itself


def test_requirements_come_from_the_committed_pyproject(course, mirror, pip, tmp_path):
    (course / "pyproject.toml").write_text(PYPROJECT.replace('"demo>=1"', '"demo>=1", "not-committed"'))
    pack = workshop_pack.build_pack(tmp_path / "pack", root=course, allow_uncommitted=True)
    requirements = (pack / "wheels" / "requirements.txt").read_text().split()
    assert requirements == ["pip", "setuptools", "wheel", "setuptools>=77", "demo>=1"]


def test_the_site_is_packed_when_built(course, mirror, pip, tmp_path):
    (course / "build" / "site" / "html").mkdir(parents=True)
    (course / "build" / "site" / "html" / "index.html").write_text("<html>")  # build/ is ignored, never committed
    pack = workshop_pack.build_pack(tmp_path / "pack", root=course)
    assert (pack / "site" / "index.html").read_text() == "<html>" and manifest_of(pack)["site"] == "site"


# --- other platforms -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("honours_markers", [True, False], ids=["pip-reads-target-markers", "completed-after"])
def test_another_platform_gets_what_its_markers_need(course, mirror, monkeypatch, tmp_path, honours_markers):
    pip = FakePip(honours_markers=honours_markers)
    monkeypatch.setattr(workshop_pack, "run_pip", pip)
    pack = workshop_pack.build_pack(tmp_path / "pack", root=course, platforms=["win_amd64"])
    houses = {h["platform"]: h for h in manifest_of(pack)["wheelhouses"]}
    windows = pack / houses["win_amd64"]["folder"]
    assert (houses["win_amd64"]["system"], houses["win_amd64"]["machine"]) == ("windows", "x86_64")
    assert any(p.name.startswith("helper-") for p in windows.iterdir())  # sys_platform == 'win32' only
    assert any(p.name.startswith("promise-") for p in windows.iterdir())  # this machine's built wheel
    assert not any(p.name.startswith("extra_dep-") for p in windows.iterdir())  # an extra nobody asked for
    host = pack / manifest_of(pack)["wheelhouses"][0]["folder"]
    assert not any(p.name.startswith("helper-") for p in host.iterdir())
    added = [note for note in manifest_of(pack)["notes"] if "were added: helper" in note]
    assert len(added) == (0 if honours_markers else 1)
    windows_calls = [call for call in pip.calls if "win_amd64" in call]
    assert all("--only-binary=:all:" in call for call in windows_calls)


def test_pip_is_run_with_the_target_markers(tmp_path):
    """The real pip, told another platform's markers, reports them as its own (nothing is downloaded)."""
    windows = wheel_tags.target_environment("3.12", "win_amd64")
    probe = "from pip._vendor.packaging import markers; print(markers.default_environment()['sys_platform'])"
    script = workshop_pack.PIP_RUNNER.replace('runpy.run_module("pip", run_name="__main__", alter_sys=True)', probe)
    result = subprocess.run([sys.executable, "-c", script, "", json.dumps(windows)], capture_output=True, text=True)
    assert result.stdout.strip() == "win32", result.stderr
    code, output = workshop_pack.run_pip(["--version"], markers=windows)
    assert code == 0 and output.startswith("pip "), output


def test_a_platform_pip_finds_no_wheels_for_is_named_in_the_notes(course, mirror, monkeypatch, tmp_path):
    monkeypatch.setattr(workshop_pack, "run_pip", FakePip(no_wheel_on="macosx"))
    pack = workshop_pack.build_pack(tmp_path / "pack", root=course, platforms=["macosx_14_0_arm64"])
    assert [h["platform"] for h in manifest_of(pack)["wheelhouses"]] == [wheel_tags.host_platform()]
    assert not any("macosx" in p.name for p in (pack / "wheels").iterdir())
    note = next(n for n in manifest_of(pack)["notes"] if "macosx_14_0_arm64" in n)
    assert "not included" in note and "demo>=1" in note
    assert note in (pack / "INSTALL.md").read_text()


def test_missing_requirements_follow_markers_and_extras(tmp_path):
    make_wheel(tmp_path, "demo", "1.0", ["tomli>=2; python_version < '3.11'", "extra-dep; extra == 'more'"])
    linux_310 = wheel_tags.target_environment("3.10", "manylinux_2_28_x86_64")
    linux_311 = wheel_tags.target_environment("3.11", "manylinux_2_28_x86_64")
    assert wheel_tags.missing_requirements(tmp_path, ["demo"], linux_310) == ["tomli>=2"]
    assert wheel_tags.missing_requirements(tmp_path, ["demo"], linux_311) == []
    assert wheel_tags.missing_requirements(tmp_path, ["demo[more]"], linux_311) == ["extra-dep"]
    assert wheel_tags.missing_requirements(tmp_path, ["demo>=2"], linux_311) == ["demo>=2"]  # too old a wheel


def test_platform_tags_expand_to_the_older_ones_pip_would_not_try(tmp_path):
    linux = wheel_tags.compatible_platforms("manylinux_2_36_x86_64")
    assert linux[0] == "manylinux_2_36_x86_64" and "manylinux_2_27_x86_64" in linux and "manylinux2014_x86_64" in linux
    mac = wheel_tags.compatible_platforms("macosx_14_0_arm64")
    assert "macosx_12_0_arm64" in mac and "macosx_11_0_universal2" in mac and "macosx_15_0_arm64" not in mac
    make_wheel(tmp_path, "a", "1", [], tag="cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
    make_wheel(tmp_path, "b", "1", [], tag="cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64")
    make_wheel(tmp_path, "c", "1", [])
    assert wheel_tags.platform_floor(tmp_path) == "glibc 2.27"


def test_bad_platform_or_python_is_refused_before_anything_is_downloaded(course, mirror, pip, tmp_path):
    with pytest.raises(PackError, match="macosx_14_0_arm64"):
        workshop_pack.build_pack(tmp_path / "pack", root=course, platforms=["solaris"])
    with pytest.raises(PackError, match="X.Y, for example 3.12"):
        workshop_pack.build_pack(tmp_path / "pack", root=course, pythons=["3"])
    assert pip.calls == [] and not (tmp_path / "pack").exists()


# --- what the build refuses ----------------------------------------------------------------------------------


def test_uncommitted_changes_are_refused_or_left_out(course, mirror, pip, tmp_path, capsys):
    (course / "notebooks" / "00_setup.ipynb").write_text('{"edited": 1}')
    (course / "notebooks" / "new.ipynb").write_text("{}")
    with pytest.raises(PackError) as error:
        workshop_pack.build_pack(tmp_path / "pack", root=course)
    message = str(error.value)
    assert "notebooks/00_setup.ipynb" in message and "notebooks/new.ipynb" in message
    assert "holds the course at its commit (HEAD)" in message and "--allow-uncommitted" in message
    pack = workshop_pack.build_pack(tmp_path / "pack", root=course, allow_uncommitted=True)
    assert "2 uncommitted change(s) are left out" in capsys.readouterr().err
    with tarfile.open(pack / manifest_of(pack)["course"]["archive"]) as tar:
        assert tar.extractfile("keras-transfer-learning/notebooks/00_setup.ipynb").read() == b"{}"
        assert "keras-transfer-learning/notebooks/new.ipynb" not in tar.getnames()
    assert any("uncommitted" in note for note in manifest_of(pack)["notes"])


@pytest.mark.parametrize(
    "setting, expected",
    [(None, "COURSE_ASSETS is not set"), ("missing", "does not exist"), ("empty", "has no manifest.json")],
)
def test_a_missing_mirror_is_refused_with_the_fix(course, pip, tmp_path, monkeypatch, setting, expected):
    (tmp_path / "empty").mkdir()
    if setting is None:
        monkeypatch.delenv("COURSE_ASSETS", raising=False)
    else:
        monkeypatch.setenv("COURSE_ASSETS", str(tmp_path / setting))
    with pytest.raises(PackError, match=expected) as error:
        workshop_pack.build_pack(tmp_path / "pack", root=course)
    assert "assets fetch --to DIR" in str(error.value)
    assert not (tmp_path / "pack").exists() and not (tmp_path / "pack.partial").exists()


def test_a_damaged_mirror_is_refused(course, pip, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror", bad_hash={"datasets/data.zip"})
    monkeypatch.setenv("COURSE_ASSETS", str(mirror))
    with pytest.raises(PackError, match="keras/datasets/data.zip"):
        workshop_pack.build_pack(tmp_path / "pack", root=course)
    assert not (tmp_path / "pack.partial").exists()


def test_an_existing_out_folder_is_refused(course, mirror, pip, tmp_path):
    (tmp_path / "pack").mkdir()
    with pytest.raises(PackError, match="already exists"):
        workshop_pack.build_pack(tmp_path / "pack", root=course)


def test_cli_pack_build_reports_errors(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("COURSE_ASSETS", raising=False)
    assert main(["pack", "build", "--out", str(tmp_path / "p"), "--allow-uncommitted"]) == 2
    assert "error: COURSE_ASSETS is not set" in capsys.readouterr().err


# --- the installer -------------------------------------------------------------------------------------------

HOUSES = {
    "wheelhouses": [
        {"folder": "wheels/cp311-linux_x86_64", "python": "3.11", "system": "linux", "machine": "x86_64"},
        {"folder": "wheels/cp39-linux_x86_64", "python": "3.9", "system": "linux", "machine": "x86_64"},
        {"folder": "wheels/cp312-macosx_14_0_arm64", "python": "3.12", "system": "darwin", "machine": "arm64"},
    ]
}


def test_the_wheelhouse_for_this_python_and_machine_is_chosen():
    assert workshop_install.choose_wheelhouse(HOUSES, "3.12", "darwin", "arm64")["python"] == "3.12"
    with pytest.raises(InstallError) as error:
        workshop_install.choose_wheelhouse(HOUSES, "3.12", "linux", "x86_64")
    message = str(error.value)
    assert (
        "This is Python 3.12" in message
        and "are for Python 3.9 and 3.11. Run the installer with one of those" in message
    )
    assert "python3.11 " in message and "--python-version 3.12" in message
    with pytest.raises(InstallError, match="This machine is windows x86_64 with Python 3.11"):
        workshop_install.choose_wheelhouse(HOUSES, "3.11", "windows", "x86_64")


def test_an_existing_course_folder_or_a_file_target_is_refused(tmp_path):
    (tmp_path / "keras-transfer-learning").mkdir()
    with pytest.raises(InstallError, match="already exists: the installer never writes into an existing folder"):
        workshop_install.course_destination(tmp_path, "keras-transfer-learning")
    (tmp_path / "file").write_text("")
    with pytest.raises(InstallError, match="is a file, not a folder"):
        workshop_install.course_destination(tmp_path / "file", "keras-transfer-learning")


def test_a_folder_that_is_no_pack_says_so(tmp_path):
    with pytest.raises(InstallError, match="not a workshop pack"):
        workshop_install.load_manifest(tmp_path)
    (tmp_path / "pack.json").write_text('{"format": 1}')
    with pytest.raises(InstallError, match="copy the pack folder again"):
        workshop_install.load_manifest(tmp_path)


class Recorder:
    """Stands in for ``subprocess.run`` in the installer: records each command and its environment."""

    def __init__(self, fail_on: str | None = None):
        self.commands: list[tuple[list[str], dict]] = []
        self.fail_on = fail_on

    def __call__(self, command, **kwargs):
        self.commands.append(([str(c) for c in command], kwargs.get("env") or {}))
        failed = self.fail_on is not None and self.fail_on in command
        return subprocess.CompletedProcess(command, 1 if failed else 0, "", "")


def test_install_runs_offline_steps_in_order(pack, tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_FIND_LINKS", "/somewhere/else")
    recorder = Recorder()
    monkeypatch.setattr(workshop_install.subprocess, "run", recorder)
    destination = workshop_install.install(pack, tmp_path / "target")
    assert destination == (tmp_path / "target" / "keras-transfer-learning").resolve()
    assert (destination / "edition" / "00_setup.ipynb").is_file()
    commands = [command for command, _ in recorder.commands]
    venv = next(c for c in commands if "venv" in c)
    assert "--upgrade-deps" not in venv and venv[-1] == str(destination / ".venv")
    wheelhouse = str(pack / manifest_of(pack)["wheelhouses"][0]["folder"])
    pips = [c for c in commands if "pip" in c]
    assert [c[c.index("install") + 1 :] for c in pips] == [
        ["--no-index", "--find-links", wheelhouse, "--upgrade", "pip"],
        ["--no-index", "--find-links", wheelhouse, "-e", str(destination)],
    ]
    assert [c[2:] for c in commands[-2:]] == [["course_utils", "assets", "install"], ["course_utils", "doctor"]]
    for _, env in recorder.commands[-4:]:
        assert env["PIP_CONFIG_FILE"] == workshop_install.os.devnull and "PIP_FIND_LINKS" not in env
    assert recorder.commands[-2][1]["COURSE_ASSETS"] == str(pack / "assets")


def test_a_failed_step_removes_the_half_made_course(pack, tmp_path, monkeypatch):
    monkeypatch.setattr(workshop_install.subprocess, "run", Recorder(fail_on="-e"))
    with pytest.raises(InstallError) as error:
        workshop_install.install(pack, tmp_path / "target")
    assert "pip stopped" in str(error.value) and "was removed" in str(error.value)
    assert not (tmp_path / "target" / "keras-transfer-learning").exists()


def test_a_failing_doctor_keeps_the_course_and_says_how_to_check_again(pack, tmp_path, monkeypatch):
    monkeypatch.setattr(workshop_install.subprocess, "run", Recorder(fail_on="doctor"))
    with pytest.raises(InstallError, match="doctor found a blocking problem"):
        workshop_install.install(pack, tmp_path / "target")
    assert (tmp_path / "target" / "keras-transfer-learning" / "pyproject.toml").is_file()


def test_a_damaged_pack_installs_nothing(pack, tmp_path, monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(workshop_install.subprocess, "run", recorder)
    archive = pack / manifest_of(pack)["course"]["archive"]
    archive.write_bytes(archive.read_bytes()[:-10])
    with pytest.raises(InstallError, match=f"{archive.name}: damaged"):
        workshop_install.install(pack, tmp_path / "target")
    assert not (tmp_path / "target" / "keras-transfer-learning").exists()
    assert all("pip" not in command and "venv" not in command for command, _ in recorder.commands)


def test_install_py_runs_on_the_standard_library_alone(pack, tmp_path):
    (tmp_path / "keras-transfer-learning").mkdir()
    command = [sys.executable, "-I", "-S", str(pack / "install.py"), "--target", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "already exists" in result.stderr and "Traceback" not in result.stderr


def test_markers_of_this_machine_match_its_target_environment():
    """``target_environment`` spells the markers as pip's own environment does, for this machine."""
    here = default_environment()
    tag = wheel_tags.host_download_tag()
    mine = wheel_tags.target_environment(wheel_tags.python_release(), tag)
    for key in ("python_version", "sys_platform", "platform_system", "os_name", "platform_machine"):
        assert mine[key] == here[key], key
