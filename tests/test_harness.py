"""The harness's own failure paths, on tiny notebooks that load no model (seconds each)."""

from __future__ import annotations

import json
import os
import sys

import nbformat
import pytest

from course_utils.tooling import harness, thresholds
from course_utils.tooling.paths import ROOT
from course_utils.tooling.thresholds import Thresholds


def _notebook(root, name: str, *cells: str):
    """``root/notebooks/<name>.ipynb`` with a parameters cell and ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell('PROFILE = "full"')
    parameters.metadata["tags"] = ["parameters"]
    record = (  # what course_utils.setup() does with the harness's metrics file
        "import os\nfrom course_utils.recording import record, set_metrics_path\n"
        "set_metrics_path(os.environ.get('COURSE_METRICS_PATH'))"
    )
    nb.cells = [parameters, nbformat.v4.new_code_cell(record), *map(nbformat.v4.new_code_cell, cells)]
    path = root / "notebooks" / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _run(tmp_path, path, sections, profile="ci"):
    limits = Thresholds({f"notebooks/{path.stem}": sections})
    return harness.execute(path, profile, out_dir=tmp_path / "out", thresholds=limits, root=tmp_path)


def test_a_notebook_that_meets_its_checks_passes(tmp_path):
    path = _notebook(tmp_path, "ok", 'record("accuracy", 0.9)')
    run = _run(tmp_path, path, {"ci": {"measured_s": 30, "checks": [{"expr": "accuracy >= 0.8"}]}})
    assert run.ok and run.result == "ok" and run.metrics == {"accuracy": 0.9}
    assert run.time_text().endswith("(budget 60 s)")


def test_the_harness_s_settings_reach_the_kernel_as_environment_not_as_notebook_names(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_RANDOM_WEIGHTS", raising=False)
    code = (
        "import os\n"
        "record('random', float(os.environ.get('COURSE_RANDOM_WEIGHTS') == '1'))\n"
        "record('names', float('METRICS_PATH' in globals() or 'WEIGHTS' in globals()))"
    )
    path = _notebook(tmp_path, "environment", code)
    limits = Thresholds({"notebooks/environment": {"ci": {"measured_s": 30}}})
    run = harness.execute(
        path,
        "ci",
        environment={"COURSE_RANDOM_WEIGHTS": "1"},
        out_dir=tmp_path / "out",
        thresholds=limits,
        root=tmp_path,
    )
    assert run.ok, run.failure_report()
    assert run.metrics == {"random": 1.0, "names": 0.0}  # the metrics file came through the environment too
    assert "COURSE_RANDOM_WEIGHTS" not in os.environ  # the harness's own environment is unchanged


def test_a_cell_error_fails_the_run_and_says_how_to_reproduce(tmp_path):
    path = _notebook(tmp_path, "error", "1 / 0")
    run = _run(tmp_path, path, {"ci": {"measured_s": 30}})
    assert not run.ok and "ZeroDivisionError" in run.error
    assert "Reproduce: python -m course_utils run --profile ci notebooks/error.ipynb" in run.failure_report()


def test_a_metric_the_notebook_did_not_record_fails_its_check(tmp_path):
    path = _notebook(tmp_path, "silent", "pass")
    run = _run(tmp_path, path, {"ci": {"measured_s": 30, "checks": [{"expr": "accuracy >= 0.8"}]}})
    assert not run.ok and any("recorded no accuracy" in problem for problem in run.problems)


def test_over_budget_is_reported_not_failed(tmp_path):
    path = _notebook(tmp_path, "slow", "import time; time.sleep(0.2)")
    run = _run(tmp_path, path, {"ci": {"measured_s": 0.01}})
    assert run.ok and run.over_budget and "over budget" in run.time_text()


def test_a_hung_cell_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(thresholds, "MIN_CELL_LIMIT_S", 3.0)
    path = _notebook(tmp_path, "hung", "import time; time.sleep(120)")
    run = _run(tmp_path, path, {"ci": {"measured_s": 0.1}})
    assert not run.ok and run.seconds < 60 and "Timeout" in run.error


def test_a_notebook_without_a_ci_section_fails_and_without_a_full_one_is_unchecked(tmp_path):
    path = _notebook(tmp_path, "unlisted", 'record("accuracy", 0.9)')
    run = harness.execute(path, "ci", out_dir=tmp_path / "out", thresholds=Thresholds({}), root=tmp_path)
    assert not run.ok and 'no ["notebooks/unlisted".ci] section' in run.problems[0]
    run = harness.execute(path, "full", out_dir=tmp_path / "out", thresholds=Thresholds({}), root=tmp_path)
    assert run.ok and run.result == "unchecked"


def test_each_run_has_its_own_working_directory(tmp_path):
    code = (
        "from pathlib import Path\n"
        "leftover = Path('backups').exists()\n"
        "Path('backups').mkdir()\n"
        "record('leftover', float(leftover))"
    )
    path = _notebook(tmp_path, "backup", code)
    for _ in range(2):  # the second run must not find the first run's folder
        run = _run(tmp_path, path, {"ci": {"measured_s": 30, "checks": [{"expr": "leftover <= 0"}]}})
        assert run.ok, run.failure_report()


def test_sections_must_name_existing_notebooks(tmp_path):
    _notebook(tmp_path, "real")
    table = Thresholds({"notebooks/real": {"ci": {}}, "notebooks/raal": {"full": {}}})
    assert table.unmatched(tmp_path) == ["notebooks/raal"]
    assert Thresholds.load(ROOT / "tests" / "thresholds.toml").unmatched(ROOT) == []


@pytest.mark.parametrize(
    "section, message",
    [({"parameters": {"EPOCHS": 3}}, "overrides"), ({"timeout_s": 3}, "unknown key"), ({"measured_s": "x"}, "seconds")],
)
def test_malformed_sections_are_explained(section, message):
    with pytest.raises(thresholds.ThresholdError, match=message):
        Thresholds({"notebooks/x": {"ci": section}})


def test_notebooks_run_on_the_harness_interpreter_not_the_first_python3_kernel(tmp_path, monkeypatch):
    fake = tmp_path / "elsewhere" / "kernels" / "python3"  # found first: a kernel of another environment
    fake.mkdir(parents=True)
    argv = [str(tmp_path / "other-env" / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (fake / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(fake.parents[1]))
    code = f"import sys\nrecord('own_interpreter', float(sys.executable == {sys.executable!r}))"
    path = _notebook(tmp_path, "interpreter", code)
    run = _run(tmp_path, path, {"ci": {"measured_s": 30, "checks": [{"expr": "own_interpreter >= 1"}]}})
    assert run.ok, run.failure_report()
    assert run.python == sys.executable
    assert os.environ["JUPYTER_PATH"] == str(fake.parents[1])  # the caller's environment is left as it was


def test_the_report_names_the_interpreter_the_notebooks_ran_on():
    from course_utils.tooling.reports import markdown_table

    run = harness.NotebookRun("notebooks/x.ipynb", "ci", "x.ci.ipynb", 1.0, python="/envs/course/bin/python")
    meta = {"date": "2026-01-01", "profile": "ci", "machine": "x86_64", "python": "3.11.7", "total_seconds": 1.0}
    assert "Python 3.11.7 (/envs/course/bin/python)" in markdown_table(meta, [run])


def test_a_run_stopped_with_ctrl_c_leaves_the_last_complete_copy_in_place(tmp_path, monkeypatch):
    """papermill writes its copy as it goes; the copy a report row points at must stay the complete one."""
    import papermill

    path = _notebook(tmp_path, "99_stop", "x = 1")
    executed = tmp_path / "out" / "notebooks" / "99_stop.ci.ipynb"
    executed.parent.mkdir(parents=True)
    executed.write_text("the last complete run")

    def stopped(source, output, **kwargs):
        with open(output, "w") as handle:
            handle.write("half a run")
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", stopped)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, path, {"ci": {"measured_s": 30}})
    assert executed.read_text() == "the last complete run"


def test_a_run_records_where_and_with_what_it_ran(tmp_path):
    path = _notebook(tmp_path, "99_where", "x = 1")
    run = _run(tmp_path, path, {"ci": {"measured_s": 30}})
    assert run.python_version == ".".join(map(str, sys.version_info[:3]))
    assert run.versions.get("keras") and "CPU cores" in run.machine
