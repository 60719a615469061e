"""``doctor`` on the kernel JupyterLab opens the notebooks with: fake kernelspecs on a temporary JUPYTER_PATH."""

from __future__ import annotations

import json
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from course_utils.assets import doctor
from course_utils.tooling import harness


@pytest.fixture
def python3_kernel(tmp_path, monkeypatch):
    """Makes ``python3`` a kernel that starts ``interpreter``, found first through ``$JUPYTER_PATH``.

    With ``user_wide``, the kernel is the user's own (``$JUPYTER_DATA_DIR``), preferred over the
    environment's as Jupyter does outside a virtual environment.
    """

    def install(interpreter: str, user_wide: bool = False) -> Path:
        data = tmp_path / ("user" if user_wide else "jupyter_path")
        spec_dir = data / "kernels" / "python3"
        spec_dir.mkdir(parents=True, exist_ok=True)
        argv = [interpreter, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec_dir / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
        )
        if user_wide:
            monkeypatch.delenv("JUPYTER_PATH", raising=False)
            monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
            monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")
        else:
            monkeypatch.setenv("JUPYTER_PATH", str(data))
        return spec_dir

    return install


@pytest.fixture(scope="module")
def other_environments(tmp_path_factory) -> dict[str, str]:
    """Two virtual environments that are not this one: one without ipykernel, one that can import it.

    Both are symbolic links to the same base interpreter as this environment's: comparing resolved
    interpreter paths would take them for this environment.
    """
    interpreters = {}
    for name in ("bare", "with_ipykernel"):
        root = tmp_path_factory.mktemp(name)
        venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
        interpreters[name] = str(root / "bin" / "python")
    root = Path(interpreters["with_ipykernel"]).parents[1]
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))
    (purelib / "course.pth").write_text(sysconfig.get_path("purelib") + "\n")  # this environment's packages
    return interpreters


def test_the_doctor_names_the_kernel_the_notebooks_name():
    assert doctor.NOTEBOOK_KERNEL == harness.KERNEL


@pytest.mark.parametrize("interpreter", [sys.executable, "python"])
def test_a_python3_kernel_of_this_environment_is_ok(python3_kernel, interpreter):
    python3_kernel(interpreter)  # a bare "python" is what Jupyter replaces with its own interpreter
    finding = doctor.kernel_finding()
    assert finding.level == "ok" and "this environment" in finding.message, finding


def test_a_python3_kernel_of_another_environment_is_a_warning_with_the_fix(python3_kernel, other_environments):
    spec_dir = python3_kernel(other_environments["with_ipykernel"])
    finding = doctor.kernel_finding()
    assert finding.level == "warn", finding
    assert other_environments["with_ipykernel"] in finding.message and "not this environment" in finding.message
    assert str(spec_dir) in finding.message and "JUPYTER_PATH" in finding.message


def test_a_user_wide_python3_kernel_without_ipykernel_is_blocking(python3_kernel, other_environments):
    spec_dir = python3_kernel(other_environments["bare"], user_wide=True)
    finding = doctor.kernel_finding()
    assert finding.level == "fail" and "no ipykernel" in finding.message, finding
    assert str(spec_dir) in finding.message and f"{sys.executable} -m ipykernel install --user" in finding.message


def test_a_python3_kernel_whose_interpreter_is_gone_is_blocking(python3_kernel, tmp_path):
    python3_kernel(str(tmp_path / "deleted-env" / "bin" / "python"))
    finding = doctor.kernel_finding()
    assert finding.level == "fail" and "does not exist" in finding.message, finding
