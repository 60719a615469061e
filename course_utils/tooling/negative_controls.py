"""Negative controls: every accuracy claim must fail on a model that learned nothing.

A notebook run with random weights (``COURSE_RANDOM_WEIGHTS=1`` in its kernel's environment, so
that ``weights="imagenet"`` loads nothing: :mod:`course_utils.assets.random_weights`) must fail every check that is not marked
``independent_of_weights``.  Running all of them takes longer than CI can afford, so the metrics of
those runs are recorded in ``tests/negative_controls.json`` (one ``ci`` run per notebook with claims,
and a ``full`` run where a full claim compares a metric the ci run does not record), with a fingerprint
of what can change a metric, and a fast test (``tests/test_negative_controls.py``) checks, on every CI
run, that

- every notebook with claims has a recorded random-weights run of its *current* code on the *current*
  TensorFlow and Keras: the fingerprint covers the notebook's code cells and the modules of
  ``course_utils`` and ``course_utils/assets`` (with docstrings and comments left out), and the run
  records the TensorFlow and Keras releases (major.minor), so a change to either makes the record stale
  (``python -m course_utils negative-control [--profile full] [NOTEBOOK ...]``);
- every claim, as the thresholds file says today, *fails* on those metrics.  A claim whose metric the
  run never recorded was not checked at all: it counts as a problem, never as a defeated claim.

So loosening a threshold, adding a check that random weights pass, or editing a notebook without
re-running its control fails CI in seconds.  One notebook (lesson 02) also runs its negative control
live in CI (``tests/test_notebooks.py``), through the same :func:`control_verdict`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .notebook_cells import code_sources, normalized_code
from .paths import ROOT, THRESHOLDS_FILE, notebook_key
from .reports import write_atomically
from .thresholds import Check, Outcome, Thresholds

#: Where the random-weights runs are recorded.
RECORD_FILE = ROOT / "tests" / "negative_controls.json"
#: The profile whose checks the controls defeat (the one CI runs).
PROFILE = "ci"
#: What the notebook's kernel is run with: random weights wherever the notebook asks for ImageNet's.
ENVIRONMENT = {"COURSE_RANDOM_WEIGHTS": "1"}
#: The code a random-weights run executes besides the notebook: the helpers lessons import and the
#: asset mirror's installer (which decides what weights and images land in the Keras cache).  The
#: harness and the other tools in ``tooling/`` run the notebook but compute none of its metrics.
PACKAGE = Path(__file__).resolve().parents[1]
MEASURING_MODULES = ("*.py", "assets/*.py", "exercise_checks/*.py")
#: Modules there that no weight-dependent claim rests on: the command line's entry point, the machine check, the
#: mirror's builder, and lesson 09's backend probes (random weights by design; its checks are all mechanisms).
NOT_MEASURING = ("__main__.py", "assets/doctor.py", "assets/fetch.py", "keras_backends.py")
#: Modules only exercises and solutions import (no lesson does: tests/test_negative_controls.py checks it), so a
#: lesson's record leaves them out: reworking an exercise's checks does not make the lessons' controls stale.
EXERCISE_ONLY = ("exercise_checks/",)
#: The releases whose behaviour the metrics depend on (major.minor: a patch release keeps the record).
FRAMEWORKS = ("tensorflow", "keras")


def fingerprint(notebook: Path, package: Path = PACKAGE) -> str:
    """A hash of the code that computes ``notebook``'s metrics: its code cells and the measuring modules.

    Markdown, comments and docstrings do not make a control stale; a change to the code a run executes does.
    """
    digest = hashlib.sha256()
    lesson = Path(notebook).resolve().parent.name == "notebooks"
    for source in code_sources(nbformat.read(notebook, as_version=4)):
        digest.update(normalized_code(source).encode("utf-8") + b"\x00")
    modules = sorted({path for pattern in MEASURING_MODULES for path in package.glob(pattern)})
    for module in modules:
        name = module.relative_to(package).as_posix()
        if name in NOT_MEASURING or (lesson and name.startswith(EXERCISE_ONLY)):
            continue
        digest.update(name.encode("utf-8") + b"\x00" + normalized_code(module.read_text("utf-8")).encode() + b"\x00")
    return digest.hexdigest()[:16]


def framework_versions() -> dict[str, str]:
    """The installed TensorFlow and Keras releases, major.minor (``"absent"`` for one not installed)."""
    from .provenance import NOT_INSTALLED, package_versions

    return {
        name: "absent" if version == NOT_INSTALLED else ".".join(version.split(".")[:2])
        for name, version in package_versions(FRAMEWORKS).items()
    }


def claims(thresholds: Thresholds, key: str, profile: str = PROFILE) -> list[Check]:
    """The checks of ``key`` in ``profile`` that a model which learned nothing must fail."""
    section = thresholds.for_notebook(key, profile)
    return [check for check in section.checks if not check.independent_of_weights] if section else []


def load_record(path: Path = RECORD_FILE) -> dict[str, Any]:
    """The recorded random-weights runs: ``{notebook key: {profile: run}}`` ({} if none yet)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def save_run(
    key: str, notebook: Path, metrics: Mapping[str, float], profile: str = PROFILE, path: Path = RECORD_FILE
) -> None:
    """Record one random-weights run of ``notebook`` in ``profile`` (its metrics, fingerprint and versions)."""
    record = load_record(path)
    record.setdefault(key, {})[profile] = {
        "fingerprint": fingerprint(notebook),
        "versions": framework_versions(),
        "environment": dict(ENVIRONMENT),
        "date": datetime.date.today().isoformat(),
        "metrics": {name: round(float(value), 6) for name, value in sorted(metrics.items())},
    }
    record[key] = dict(sorted(record[key].items()))
    write_atomically(path, json.dumps(dict(sorted(record.items())), indent=1) + "\n")


@dataclass(frozen=True)
class Verdict:
    """What a random-weights run says about one notebook's claims in one profile."""

    key: str
    problems: tuple[str, ...]  # empty: every claim was measured and failed, on a run of the current code
    defeated: tuple[str, ...]  # the claims that failed, as they must
    missing: tuple[str, ...] = ()  # claims whose metrics the run never recorded (each is also a problem)

    @property
    def ok(self) -> bool:
        """Every claim was measured and failed on a recorded run of the current code (or the notebook makes none)."""
        return not self.problems


def control_verdict(key: str, checks: list[Check], metrics: Mapping[str, float], profile: str = PROFILE) -> Verdict:
    """The one evaluator of a random-weights run: each claim is defeated, passes (a problem) or is missing (a problem).

    A claim counts as defeated only when every metric it compares was measured in the run and the
    comparison failed; a claim whose metric is absent was not checked, so it proves nothing either way.
    """
    problems, defeated, missing = [], [], []
    for check in checks:
        judgement = check.judge(metrics)
        if judgement.outcome is Outcome.MISSING:
            missing.append(check.expr)
            problems.append(
                f"{key} ({profile}): the random-weights run did not measure `{check.expr}` ({judgement.text}): "
                "a claim that was never measured was never defeated; record a run that measures it"
            )
        elif judgement.passed:
            problems.append(
                f"{key} ({profile}): `{check.expr}` passes with random weights, so it proves nothing: {judgement.text}"
            )
        else:
            defeated.append(judgement.text)
    return Verdict(key, tuple(problems), tuple(defeated), tuple(missing))


def recorded_run(record: Mapping[str, Any], key: str, profile: str) -> tuple[str, Mapping[str, Any]] | None:
    """The random-weights run that speaks for ``key``'s claims in ``profile``: its own, else the ci run.

    Full floors sit at or above the ci ones, so the ci run defeats them too wherever it measured the
    same metrics; a full section that compares other metrics needs a full random-weights run.
    """
    runs = record.get(key, {})
    for candidate in (profile, PROFILE):
        if candidate in runs:
            return candidate, runs[candidate]
    return None


def judge(
    notebook: Path, thresholds: Thresholds, record: Mapping[str, Any], root: Path = ROOT, profile: str = PROFILE
) -> Verdict:
    """Check ``notebook``'s claims in ``profile`` against its recorded random-weights run."""
    key = notebook_key(notebook, root)
    checks = claims(thresholds, key, profile)
    if not checks:
        return Verdict(key, (), ())
    found = recorded_run(record, key, profile)
    relative = Path(notebook).resolve().relative_to(root)
    if found is None:
        rerun = f"python -m course_utils negative-control {relative}"
        return Verdict(key, (f"{key}: no random-weights run is recorded; run `{rerun}`",), ())
    run_profile, entry = found
    rerun = "python -m course_utils negative-control " + (f"--profile {run_profile} " if run_profile != PROFILE else "")
    rerun += str(relative)
    if entry.get("fingerprint") != fingerprint(notebook):
        return Verdict(
            key,
            (
                f"{key}: its code changed since the random-weights run of {entry.get('date')} ({run_profile}); run `{rerun}`",
            ),
            (),
        )
    if entry.get("versions") != framework_versions():
        return Verdict(
            key,
            (
                f"{key}: its random-weights run ({run_profile}, {entry.get('date')}) was made with "
                f"{_versions_text(entry.get('versions'))}, this environment has {_versions_text(framework_versions())}; "
                f"run `{rerun}`",
            ),
            (),
        )
    verdict = control_verdict(key, checks, entry.get("metrics", {}), profile)
    if verdict.missing and run_profile != profile:
        hint = f"; run `python -m course_utils negative-control --profile {profile} {relative}`"
        problems = tuple(p + hint if "did not measure" in p else p for p in verdict.problems)
        return Verdict(key, problems, verdict.defeated, verdict.missing)
    return verdict


def needs_full_control(
    notebook: Path, thresholds: Thresholds, record: Mapping[str, Any], root: Path = ROOT, profile: str = "full"
) -> bool:
    """Whether ``notebook`` needs a random-weights run in ``profile`` (``negative-control --profile full``'s default):
    its ci run leaves one of the profile's claims unmeasured, or the run recorded in that profile is stale."""
    verdict = judge(notebook, thresholds, record, root, profile)
    has_own_run = profile in record.get(notebook_key(notebook, root), {})
    return bool(verdict.missing) or (has_own_run and not verdict.ok)


def _versions_text(versions: Mapping[str, str] | None) -> str:
    return ", ".join(f"{name} {version}" for name, version in (versions or {}).items()) or "unrecorded versions"


def judge_all(notebooks: list[Path], record_file: Path = RECORD_FILE, profile: str = PROFILE) -> list[Verdict]:
    """:func:`judge` for each notebook, with the thresholds and the record as they are on disk."""
    thresholds, record = Thresholds.load(THRESHOLDS_FILE), load_record(record_file)
    return [judge(notebook, thresholds, record, profile=profile) for notebook in notebooks]
