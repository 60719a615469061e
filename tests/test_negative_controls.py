"""Every accuracy claim of a ci section fails on a model that learned nothing (recorded runs, seconds)."""

from __future__ import annotations

import nbformat
import pytest

from course_utils.tooling import negative_controls as nc
from course_utils.tooling.paths import course_notebooks
from course_utils.tooling.thresholds import Thresholds


def test_every_claim_fails_with_random_weights_on_the_current_code():
    """The recorded random-weights runs (tests/negative_controls.json) defeat every claim of every ci section."""
    verdicts = nc.judge_all(course_notebooks())
    problems = [problem for verdict in verdicts for problem in verdict.problems]
    assert not problems, "\n".join(problems)
    assert sum(len(verdict.defeated) for verdict in verdicts) >= 20, "too few claims defeated: is the record empty?"


def test_every_full_claim_fails_on_the_same_random_weights_runs():
    """Full floors sit at or above the ci ones: the ci random-weights runs must defeat them too."""
    from course_utils.tooling.paths import THRESHOLDS_FILE

    thresholds, record = Thresholds.load(THRESHOLDS_FILE), nc.load_record()
    passing, defeated = [], 0
    for key, entry in record.items():
        for check in nc.claims(thresholds, key, "full"):
            passed, text = check.evaluate(entry["metrics"])
            defeated += not passed
            passing += [f"{key} (full): {text}"] if passed else []
    assert not passing, "full claims that random weights pass:\n" + "\n".join(passing)
    assert defeated >= 40, "too few full claims defeated: is a full section or the record missing?"


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


def _record(path, **metrics):
    return {"notebooks/99_lesson": {"fingerprint": nc.fingerprint(path), "metrics": metrics, "date": "2026-11-29"}}


def test_claims_that_fail_with_random_weights_are_defeated(tmp_path):
    path = _course(tmp_path)
    verdict = nc.judge(path, THRESHOLDS, _record(path, val_accuracy=0.1, a_vs_b_low=-0.2), root=tmp_path)
    assert verdict.ok and len(verdict.defeated) == 2  # the mechanism check is not a claim


def test_a_claim_that_random_weights_pass_is_reported(tmp_path):
    path = _course(tmp_path)
    verdict = nc.judge(path, THRESHOLDS, _record(path, val_accuracy=0.1, a_vs_b_low=0.01), root=tmp_path)
    assert not verdict.ok
    assert "a_vs_b_low > 0` passes with random weights" in verdict.problems[0]


def test_a_metric_the_random_run_did_not_record_is_a_problem(tmp_path):
    path = _course(tmp_path)
    verdict = nc.judge(path, THRESHOLDS, _record(path, val_accuracy=0.1), root=tmp_path)
    assert [p for p in verdict.problems if "recorded no a_vs_b_low" in p]


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


def test_save_run_round_trips(tmp_path):
    path = _course(tmp_path)
    record_file = tmp_path / "controls.json"
    nc.save_run("notebooks/99_lesson", path, {"val_accuracy": 0.1, "a_vs_b_low": -0.2}, path=record_file)
    verdict = nc.judge(path, THRESHOLDS, nc.load_record(record_file), root=tmp_path)
    assert verdict.ok
