"""Negative controls: every accuracy claim must fail on a model that learned nothing.

A notebook run with ``WEIGHTS = None`` (random weights) in the ``ci`` profile must fail every ci
check that is not marked ``independent_of_weights``.  Running all of them takes longer than CI can
afford, so the metrics of those runs are recorded in ``tests/negative_controls.json`` together with
a fingerprint of the notebook's code, and a fast test (``tests/test_negative_controls.py``) checks,
on every CI run, that

- every notebook with claims has a recorded random-weights run of its *current* code: the
  fingerprint covers the notebook's code cells and the helpers lessons import (the modules at the
  top of ``course_utils/``), so a change to either makes the record stale
  (``python -m course_utils negative-control [NOTEBOOK ...]``);
- every claim of its ci section, as the thresholds file says today, fails on those metrics.

So loosening a threshold, adding a check that random weights pass, or editing a notebook without
re-running its control fails CI in seconds.  One notebook (lesson 02) also runs its negative control
live in CI (``tests/test_notebooks.py``), which keeps the recorded runs honest.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .notebook_cells import code_sources
from .paths import ROOT, THRESHOLDS_FILE, notebook_key
from .thresholds import Check, Thresholds

#: Where the random-weights runs are recorded.
RECORD_FILE = ROOT / "tests" / "negative_controls.json"
#: The profile whose checks the controls defeat (the one CI runs).
PROFILE = "ci"
#: What the notebook is run with.
PARAMETERS = {"WEIGHTS": None}


#: The helpers lessons import: a change to one of them can change what a random-weights run measures.
LESSON_HELPERS = Path(__file__).resolve().parents[1]


def fingerprint(notebook: Path) -> str:
    """A hash of the notebook's code cells, in order, and of the lesson helpers' sources.

    Markdown edits do not make a control stale; a change to the code a run executes does.
    """
    digest = hashlib.sha256()
    for source in code_sources(nbformat.read(notebook, as_version=4)):
        digest.update(source.encode("utf-8") + b"\x00")
    for helper in sorted(LESSON_HELPERS.glob("*.py")):
        digest.update(helper.name.encode("utf-8") + b"\x00" + helper.read_bytes() + b"\x00")
    return digest.hexdigest()[:16]


def claims(thresholds: Thresholds, key: str, profile: str = PROFILE) -> list[Check]:
    """The checks of ``key`` in ``profile`` that a model which learned nothing must fail."""
    section = thresholds.for_notebook(key, profile)
    return [check for check in section.checks if not check.independent_of_weights] if section else []


def load_record(path: Path = RECORD_FILE) -> dict[str, Any]:
    """The recorded random-weights runs, by notebook key ({} if none yet)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def save_run(key: str, notebook: Path, metrics: dict[str, float], path: Path = RECORD_FILE) -> None:
    """Record one random-weights run of ``notebook`` (its metrics and its code's fingerprint)."""
    record = load_record(path)
    record[key] = {
        "fingerprint": fingerprint(notebook),
        "profile": PROFILE,
        "parameters": dict(PARAMETERS),
        "date": datetime.date.today().isoformat(),
        "metrics": {name: round(float(value), 6) for name, value in sorted(metrics.items())},
    }
    path.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Verdict:
    """What the record says about one notebook's claims."""

    key: str
    problems: tuple[str, ...]  # empty: every claim fails with random weights, on the current code
    defeated: tuple[str, ...]  # the claims that failed, as they must

    @property
    def ok(self) -> bool:
        """Every claim failed on a recorded run of the current code (or the notebook makes none)."""
        return not self.problems


def judge(notebook: Path, thresholds: Thresholds, record: dict[str, Any], root: Path = ROOT) -> Verdict:
    """Check ``notebook``'s ci claims against its recorded random-weights run."""
    key = notebook_key(notebook, root)
    rerun = f"python -m course_utils negative-control {Path(notebook).resolve().relative_to(root)}"
    checks = claims(thresholds, key)
    if not checks:
        return Verdict(key, (), ())
    entry = record.get(key)
    if entry is None:
        return Verdict(key, (f"{key}: no random-weights run is recorded; run `{rerun}`",), ())
    if entry.get("fingerprint") != fingerprint(notebook):
        return Verdict(
            key, (f"{key}: its code changed since the random-weights run of {entry.get('date')}; run `{rerun}`",), ()
        )
    metrics = entry.get("metrics", {})
    problems, defeated = [], []
    for check in checks:
        missing = sorted(check.names() - set(metrics))
        passed, explanation = check.evaluate(metrics)
        if missing:
            problems.append(f"{key}: the random-weights run recorded no {', '.join(missing)} for `{check.expr}`")
        elif passed:
            problems.append(f"{key}: `{check.expr}` passes with random weights, so it proves nothing: {explanation}")
        else:
            defeated.append(explanation)
    return Verdict(key, tuple(problems), tuple(defeated))


def judge_all(notebooks: list[Path], record_file: Path = RECORD_FILE) -> list[Verdict]:
    """:func:`judge` for each notebook, with the thresholds and the record as they are on disk."""
    thresholds, record = Thresholds.load(THRESHOLDS_FILE), load_record(record_file)
    return [judge(notebook, thresholds, record) for notebook in notebooks]
