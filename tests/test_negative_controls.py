"""Every accuracy claim of a ci section fails on a model that learned nothing (recorded runs, seconds)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_utils.tooling import negative_controls as nc
from course_utils.tooling.paths import course_notebooks
from course_utils.tooling.thresholds import Check, Thresholds


@pytest.mark.records
def test_every_claim_fails_with_random_weights_on_the_current_code():
    """The recorded random-weights runs (tests/negative_controls.json) defeat every claim of every ci section."""
    verdicts = nc.judge_all(course_notebooks())
    problems = [problem for verdict in verdicts for problem in verdict.problems]
    assert not problems, "\n".join(problems)
    assert sum(len(verdict.defeated) for verdict in verdicts) >= 20, "too few claims defeated: is the record empty?"


@pytest.mark.records
@pytest.mark.parametrize("profile", ["full", "quick"])
def test_every_full_and_quick_claim_fails_on_a_recorded_random_weights_run(profile):
    """Every full (quick) claim is measured and fails on the notebook's random-weights run in that profile, or
    else its ci run."""
    verdicts = nc.judge_all(course_notebooks(), profile=profile)
    problems = [problem for verdict in verdicts for problem in verdict.problems]
    assert not problems, "\n".join(problems)
    assert sum(len(verdict.defeated) for verdict in verdicts) >= 40, f"too few {profile} claims defeated"


def _course(tmp_path, code="x = 1", markdown="# A lesson"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell(code)]
    path = tmp_path / "notebooks" / "99_lesson.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


CHECKS = [
    {"expr": "val_accuracy >= 0.8"},
    {"expr": "a_vs_b_low > 0"},
    {"expr": "bn_layers_changed <= 0", "independent_of_weights": "mechanism"},
]
THRESHOLDS = Thresholds({"notebooks/99_lesson": {"ci": {"measured_s": 10, "checks": CHECKS}}})


def _record(path, profile="ci", **metrics):
    entry = {"fingerprint": nc.fingerprint(path), "versions": nc.framework_versions(), "metrics": metrics}
    return {"notebooks/99_lesson": {profile: {**entry, "date": "2026-11-29"}}}


def test_claims_that_fail_with_random_weights_are_defeated(tmp_path):
    path = _course(tmp_path)
    verdict = nc.judge(path, THRESHOLDS, _record(path, val_accuracy=0.1, a_vs_b_low=-0.2), root=tmp_path)
    assert verdict.ok and len(verdict.defeated) == 2  # the mechanism check is not a claim


def test_a_claim_that_random_weights_pass_is_reported(tmp_path):
    path = _course(tmp_path)
    verdict = nc.judge(path, THRESHOLDS, _record(path, val_accuracy=0.1, a_vs_b_low=0.01), root=tmp_path)
    assert not verdict.ok
    assert "a_vs_b_low > 0` passes with random weights" in verdict.problems[0]


def test_a_metric_the_random_run_did_not_record_is_a_problem_not_a_defeat(tmp_path):
    path = _course(tmp_path)
    verdict = nc.judge(path, THRESHOLDS, _record(path, val_accuracy=0.1), root=tmp_path)
    assert not verdict.ok and verdict.missing == ("a_vs_b_low > 0",)
    assert len(verdict.defeated) == 1 and "did not measure `a_vs_b_low > 0`" in verdict.problems[0]


def test_the_live_and_the_recorded_control_share_one_evaluator():
    """Three outcomes: measured and failed (defeated), measured and passed, not measured (both problems)."""
    checks = [Check("a >= 0.8"), Check("b > 0"), Check("c >= 0.5")]
    verdict = nc.control_verdict("k", checks, {"a": 0.1, "b": 0.5})
    assert [len(verdict.defeated), len(verdict.missing), len(verdict.problems)] == [1, 1, 2]


FULL_CHECKS = [{"expr": "val_accuracy >= 0.9"}, {"expr": "big_accuracy >= 0.9"}]
WITH_FULL = Thresholds(
    {"notebooks/99_lesson": {"ci": {"measured_s": 10, "checks": CHECKS}, "full": {"checks": FULL_CHECKS}}}
)


def test_full_claims_are_judged_on_the_full_run_where_one_is_recorded_else_the_ci_run(tmp_path):
    path = _course(tmp_path)
    only_ci = _record(path, val_accuracy=0.1, a_vs_b_low=-0.2)
    verdict = nc.judge(path, WITH_FULL, only_ci, root=tmp_path, profile="full")
    assert verdict.missing == ("big_accuracy >= 0.9",)
    assert "negative-control --profile full notebooks/99_lesson.ipynb" in verdict.problems[0]
    both = (
        only_ci["notebooks/99_lesson"]
        | _record(path, "full", val_accuracy=0.2, big_accuracy=0.3)["notebooks/99_lesson"]
    )
    verdict = nc.judge(path, WITH_FULL, {"notebooks/99_lesson": both}, root=tmp_path, profile="full")
    assert verdict.ok and len(verdict.defeated) == 2


def test_a_full_control_is_needed_where_ci_leaves_a_claim_unmeasured_or_the_full_run_is_stale(tmp_path):
    path = _course(tmp_path)
    only_ci = _record(path, val_accuracy=0.1, a_vs_b_low=-0.2)
    assert nc.needs_full_control(path, WITH_FULL, only_ci, root=tmp_path)  # big_accuracy never measured
    both = {
        "notebooks/99_lesson": only_ci["notebooks/99_lesson"]
        | _record(path, "full", val_accuracy=0.2, big_accuracy=0.3)["notebooks/99_lesson"]
    }
    assert not nc.needs_full_control(path, WITH_FULL, both, root=tmp_path)
    _course(tmp_path, code="x = 2")  # the code changed after both controls ran
    assert nc.needs_full_control(path, WITH_FULL, both, root=tmp_path)


@pytest.mark.parametrize("record", [{}, None], ids=["no record", "stale record"])
def test_a_missing_or_stale_record_says_which_command_to_run(tmp_path, record):
    path = _course(tmp_path)
    if record is None:
        record = _record(path, val_accuracy=0.1, a_vs_b_low=-0.2)
        _course(tmp_path, code="x = 2")  # the code changed after the control ran
    verdict = nc.judge(path, THRESHOLDS, record, root=tmp_path)
    assert not verdict.ok
    assert "python -m course_utils negative-control notebooks/99_lesson.ipynb" in verdict.problems[0]


def test_markdown_edits_do_not_make_a_record_stale(tmp_path):
    path = _course(tmp_path)
    before = nc.fingerprint(path)
    _course(tmp_path, markdown="# A lesson, reworded")
    assert nc.fingerprint(path) == before


def _package(tmp_path, helper_source):
    package = tmp_path / "pkg"
    (package / "assets").mkdir(parents=True, exist_ok=True)
    (package / "helper.py").write_text(helper_source)
    return package


def test_a_helper_s_docstrings_and_comments_do_not_make_a_record_stale_but_its_code_does(tmp_path):
    path = _course(tmp_path)
    package = _package(tmp_path, 'def f(x):\n    """Double."""\n    return 2 * x\n')
    before = nc.fingerprint(path, package)
    _package(tmp_path, 'def f(x):\n    """Twice x, reworded."""\n    # a comment\n    return 2 * x  # why\n')
    assert nc.fingerprint(path, package) == before
    _package(tmp_path, "def f(x):\n    return 3 * x\n")
    assert nc.fingerprint(path, package) != before


def test_the_asset_installer_is_part_of_the_fingerprint(tmp_path):
    path = _course(tmp_path)
    package = _package(tmp_path, "x = 1\n")
    before = nc.fingerprint(path, package)
    (package / "assets" / "install.py").write_text("SOURCE = 'reconstructed'\n")
    assert nc.fingerprint(path, package) != before


def test_a_run_recorded_on_another_keras_is_stale(tmp_path):
    path = _course(tmp_path)
    record = _record(path, val_accuracy=0.1, a_vs_b_low=-0.2)
    record["notebooks/99_lesson"]["ci"]["versions"] = {"tensorflow": "2.0", "keras": "3.0"}  # installed on no CI step
    verdict = nc.judge(path, THRESHOLDS, record, root=tmp_path)
    assert not verdict.ok and "keras 3.0" in verdict.problems[0]


def test_save_run_round_trips(tmp_path):
    path = _course(tmp_path)
    record_file = tmp_path / "controls.json"
    nc.save_run("notebooks/99_lesson", path, {"val_accuracy": 0.1, "a_vs_b_low": -0.2}, path=record_file)
    nc.save_run("notebooks/99_lesson", path, {"big_accuracy": 0.1}, "full", path=record_file)
    assert set(nc.load_record(record_file)["notebooks/99_lesson"]) == {"ci", "full"}
    verdict = nc.judge(path, THRESHOLDS, nc.load_record(record_file), root=tmp_path)
    assert verdict.ok


def _other_pythons() -> list[str]:
    """Interpreters of other Python releases on this machine (pyenv's), for the stability test."""
    import glob
    import sys

    found = sorted(glob.glob(str(Path.home() / ".pyenv" / "versions" / "3.1[0-9]*" / "bin" / "python3")))
    return [python for python in found if f"/{sys.version_info[0]}.{sys.version_info[1]}." not in python]


def test_the_fingerprint_s_normalized_code_is_the_same_on_every_python_the_course_claims():
    """A record made on one Python must not look stale on another (``ast.unparse`` differs between releases)."""
    import hashlib
    import inspect
    import json
    import subprocess

    pythons = _other_pythons()
    if not pythons:
        pytest.skip("no other Python release on this machine (pyenv's 3.10-3.13 are used where present)")
    sources = [path.read_text("utf-8") for path in sorted(nc.PACKAGE.rglob("*.py"))]
    sources += [code for nb in course_notebooks() for code in nc.code_sources(nbformat.read(nb, as_version=4))]
    program = "import ast, io, json, sys, tokenize, hashlib\n" + inspect.getsource(nc.normalized_code)
    program += (
        "\nprint(hashlib.sha256(json.dumps([normalized_code(s) for s in json.load(sys.stdin)]).encode()).hexdigest())"
    )
    here = hashlib.sha256(json.dumps([nc.normalized_code(s) for s in sources]).encode()).hexdigest()
    for python in pythons:
        done = subprocess.run([python, "-c", program], input=json.dumps(sources), capture_output=True, text=True)
        assert done.returncode == 0, f"{python}: {done.stderr[-2000:]}"
        assert done.stdout.strip() == here, f"{python} normalizes the course's code differently"


def test_no_lesson_imports_a_module_its_record_leaves_out():
    """The lessons' fingerprints leave out EXERCISE_ONLY: true only while no lesson's code or helper imports them."""
    from course_utils.tooling.notebook_cells import code_sources
    from course_utils.tooling.paths import ROOT

    for name in nc.EXERCISE_ONLY:
        module = name.removesuffix("/").removesuffix(".py")
        for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
            code = "\n".join(code_sources(nbformat.read(notebook, as_version=4)))
            assert module not in code, f"{notebook.name} uses {module}: take it out of EXERCISE_ONLY"
        for helper in nc.PACKAGE.glob("**/*.py"):
            if module not in helper.relative_to(nc.PACKAGE).parts and helper.name != "__init__.py":
                assert f"import {module}" not in helper.read_text() and f"{module} import" not in helper.read_text()


def test_an_exercise_only_module_changes_a_solution_s_fingerprint_not_a_lesson_s(tmp_path):
    package = tmp_path / "package"
    (package / "exercise_checks").mkdir(parents=True)
    (package / "exercise_checks" / "features.py").write_text("x = 1\n")
    lessons, solutions = tmp_path / "notebooks", tmp_path / "solutions"
    for folder in (lessons, solutions):
        folder.mkdir()
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = 2")]), folder / "01.ipynb")
    before = nc.fingerprint(lessons / "01.ipynb", package), nc.fingerprint(solutions / "01.ipynb", package)
    (package / "exercise_checks" / "features.py").write_text("x = 3\n")
    after = nc.fingerprint(lessons / "01.ipynb", package), nc.fingerprint(solutions / "01.ipynb", package)
    assert before[0] == after[0] and before[1] != after[1]
