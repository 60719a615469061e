"""Thresholds: per notebook and profile, the checks its recorded metrics must pass and its measured time.

A check is a comparison of arithmetic over recorded metric names and numbers, for example
``phase2_val_accuracy >= 0.9`` or ``fixed_accuracy > broken_accuracy + 0.05``.  Each check carries
the value measured when it was set (``measured``), so a reader sees the margin.

Time is a budget, not a test.  A notebook's measured time is its wall time on the course's 2-core
machine, stated once: for ``full``, the run the edition holds (``edition/edition.json``, written by
``python -m course_utils edition build``); for the smaller profiles, ``measured_s`` in the section
(ci runs are not committed).  The harness reports a run's time beside its budget, twice that (a machine half as fast),
and flags a run over budget without failing it.  Only a cell that runs longer than
:data:`HUNG_FACTOR` times the whole notebook's measured time (at least :data:`MIN_CELL_LIMIT_S`)
is stopped, as hung.

File layout (``tests/thresholds.toml``)::

    ["notebooks/00_setup".ci]
    measured_s = 24
    checks = [
      { expr = "pets_top1_species_accuracy >= 0.75", measured = "0.867 on 2026-11-23 (ci, 24 s)" },
    ]

    ["notebooks/00_setup".full]   # no measured_s: the edition's run of the notebook says how long it took
    checks = [ ... ]

A notebook that runs at other sizes in a profile says so in its own ``setup(overrides=...)`` call:
the harness injects ``PROFILE`` and nothing else.

Behaviour that changed between Keras releases is checked per release: a check with ``keras =
"<3.16.0.dev0"`` (a PEP 440 version specifier) applies only where the installed Keras, or the Keras
a recorded run used, matches it; a check without one applies on every release.
"""

from __future__ import annotations

import ast
import enum
import operator
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: A run may take this many times its measured time before it is reported as over budget.
BUDGET_FACTOR = 2.0
#: A single cell running this many times the whole notebook's measured time is stopped as hung.
HUNG_FACTOR = 10.0
MIN_CELL_LIMIT_S = 600.0
#: The time assumed for a notebook whose section records none yet.
UNMEASURED_S = 300.0
#: How much slower the slowest CI machine seen is than the course's machine (2026-11-23: the same fresh-clone CI
#: took 12 min on one and 21.6 on the other). The ci ``measured_s`` are times on (or scaled to) that slowest machine.
SLOW_MACHINE_FACTOR = 1.8
#: The profile whose ``measured_s`` are the slowest CI machine's, not the course machine's.
CI_PROFILE = "ci"

_COMPARE = {ast.GtE: operator.ge, ast.Gt: operator.gt, ast.LtE: operator.le, ast.Lt: operator.lt}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class ThresholdError(ValueError):
    """A malformed check in the thresholds file."""


class Outcome(enum.Enum):
    """What one check says about one run's metrics."""

    PASSED = "passed"
    FAILED = "failed"
    MISSING = "missing"  # a metric it compares was not recorded: nothing was measured, so nothing passed or failed


@dataclass(frozen=True)
class Judgement:
    """One check applied to one run: its outcome and a sentence with the values compared."""

    outcome: Outcome
    text: str

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED


@dataclass(frozen=True)
class Check:
    expr: str
    measured: str = ""
    #: Why the check holds whatever the weights (a mechanism, a speed ratio); empty for a claim that a
    #: model which learned nothing must fail (the negative control runs with random weights).
    independent_of_weights: str = ""
    #: The Keras releases the check holds on (a PEP 440 specifier such as ``"<3.16.0.dev0"``); empty: every release.
    keras: str = ""

    def releases(self) -> SpecifierSet:
        """:attr:`keras` as a specifier set (pre-releases included: Keras built from its main branch counts)."""
        try:
            return SpecifierSet(self.keras, prereleases=True)
        except InvalidSpecifier:
            raise ThresholdError(
                f'check {self.expr!r}: keras = {self.keras!r} is not a version specifier; write e.g. ">=3.16.0.dev0"'
            ) from None

    def applies_to(self, keras_version: str) -> bool:
        """Whether the check holds on Keras ``keras_version`` (every check does on an unknown version)."""
        return not keras_version or self.releases().contains(keras_version)

    def names(self) -> set[str]:
        return {node.id for node in ast.walk(_parse(self.expr)) if isinstance(node, ast.Name)}

    def judge(self, metrics: Mapping[str, float]) -> Judgement:
        """Passed, failed, or missing (a metric it compares was never recorded), with the values compared."""
        missing = sorted(self.names() - set(metrics))
        if missing:
            return Judgement(Outcome.MISSING, f"{self.expr}: the run recorded no {', '.join(missing)}")
        tree = _parse(self.expr)
        try:
            left = _value(tree.left, metrics)
            right = _value(tree.comparators[0], metrics)
        except ZeroDivisionError:
            return Judgement(Outcome.FAILED, f"{self.expr}: division by zero with the recorded values")
        passed = _COMPARE[type(tree.ops[0])](left, right)
        values = ", ".join(f"{name} = {metrics[name]:.4g}" for name in sorted(self.names()))
        note = f" (when set: {self.measured})" if self.measured else ""
        return Judgement(
            Outcome.PASSED if passed else Outcome.FAILED, f"{self.expr} [{values}; {left:.4g} vs {right:.4g}]{note}"
        )

    def evaluate(self, metrics: Mapping[str, float]) -> tuple[bool, str]:
        """(passed, explanation) for a run that must meet the check: a metric it did not record fails it."""
        judgement = self.judge(metrics)
        return judgement.passed, judgement.text


def installed_keras() -> str:
    """The installed Keras's version ("" when Keras is not installed: then every check applies)."""
    from .provenance import NOT_INSTALLED, package_versions

    version = package_versions(("keras",))["keras"]
    return "" if version == NOT_INSTALLED else version


def _parse(expr: str) -> ast.Compare:
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError as error:
        raise ThresholdError(f"check {expr!r} is not an expression: {error.msg}") from None
    if not (isinstance(tree, ast.Compare) and len(tree.ops) == 1 and type(tree.ops[0]) in _COMPARE):
        raise ThresholdError(f"check {expr!r} must be one comparison with >=, >, <= or <")
    for node in ast.walk(tree):
        allowed = (ast.Compare, ast.BinOp, ast.UnaryOp, ast.USub, ast.Name, ast.Load, ast.Constant, *_COMPARE, *_ARITH)
        if not isinstance(node, allowed) or isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ThresholdError(f"check {expr!r}: only metric names, numbers and + - * / are allowed")
    return tree


def _value(node: ast.AST, metrics: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(metrics[node.id])
    if isinstance(node, ast.UnaryOp):
        return -_value(node.operand, metrics)
    assert isinstance(node, ast.BinOp)
    return _ARITH[type(node.op)](_value(node.left, metrics), _value(node.right, metrics))


@dataclass(frozen=True)
class NotebookThresholds:
    key: str
    measured_s: float  # wall time measured on the course's 2-core machine
    checks: tuple[Check, ...]

    @property
    def budget_s(self) -> float:
        """The time a machine half as fast needs: a run over it is flagged, not failed."""
        return BUDGET_FACTOR * self.measured_s

    @property
    def cell_limit_s(self) -> float:
        """The hard stop for one cell: far beyond any slow machine, so only a hung cell reaches it."""
        return max(MIN_CELL_LIMIT_S, HUNG_FACTOR * self.measured_s)


#: The profile whose measured times come from the edition's runs, not from the thresholds file.
EDITION_PROFILE = "full"


def edition_times(manifest: Path) -> dict[str, float]:
    """The wall time of each notebook's run in the edition manifest, by notebook key ({} without an edition)."""
    import json

    try:
        entries = json.loads(Path(manifest).read_text(encoding="utf-8"))["notebooks"]
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError) as error:
        raise ThresholdError(
            f"The edition's manifest {manifest} is damaged ({error}): the full profile's times are read from it; "
            f"restore it with git checkout -- {manifest}"
        ) from None
    return {entry["notebook"].removesuffix(".ipynb"): float(entry["seconds"]) for entry in entries}


class Thresholds:
    """The parsed thresholds file, with the full profile's measured times from the edition."""

    def __init__(self, data: Mapping[str, Any], full_times: Mapping[str, float] | None = None):
        from ..profiles import PROFILES

        self._data = data
        self._full_times = dict(full_times or {})
        for key in data:  # validate everything up front: a typo fails at once, not at the end
            for profile, section in data[key].items():
                if profile not in PROFILES or not isinstance(section, Mapping):
                    raise ThresholdError(f'["{key}".{profile}]: not a profile ({", ".join(PROFILES)})')
                if "parameters" in section:
                    raise ThresholdError(
                        f'["{key}".{profile}] parameters: a notebook\'s own sizes in a profile go in its '
                        "setup(..., overrides={\"ci\": {...}}) call, so that a learner's ci run is the harness's"
                    )
                unknown = set(section) - {"measured_s", "checks"}
                if unknown:
                    raise ThresholdError(
                        f'["{key}".{profile}]: unknown key(s) {", ".join(sorted(unknown))}; use measured_s and checks'
                    )
                if not isinstance(section.get("measured_s", UNMEASURED_S), (int, float)):
                    raise ThresholdError(f'["{key}".{profile}] measured_s: a number of seconds')
                if profile == EDITION_PROFILE and "measured_s" in section:
                    raise ThresholdError(
                        f"[\"{key}\".{profile}] measured_s: a full run's time is the edition's (edition/edition.json), "
                        "stated once; remove this line (python -m course_utils edition build records it)"
                    )
                for check in self._checks(section, key, profile):
                    check.names()
                    check.releases()

    @classmethod
    def load(cls, path: str | Path, edition_manifest: str | Path | None = None) -> Thresholds:
        """The thresholds file at ``path``; full times from ``edition_manifest`` (default: the course's edition)."""
        path = Path(path)
        manifest = (
            Path(edition_manifest) if edition_manifest else path.resolve().parents[1] / "edition" / "edition.json"
        )
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ThresholdError(f"{path} is not valid TOML ({error}): fix that line") from None
        times = edition_times(manifest)
        try:
            return cls(data, times)
        except ThresholdError as error:
            raise ThresholdError(f"{path}: {error}") from None

    def with_full_times(self, full_times: Mapping[str, float]) -> Thresholds:
        """The same checks with other full-profile times (an edition being built)."""
        return Thresholds(self._data, full_times)

    @staticmethod
    def _checks(section: Mapping[str, Any], key: str, profile: str) -> tuple[Check, ...]:
        try:
            return tuple(Check(**item) for item in section.get("checks", ()))
        except TypeError as error:
            raise ThresholdError(f"[{key}.{profile}] checks: {error}") from None

    def for_notebook(self, key: str, profile: str, keras_version: str | None = None) -> NotebookThresholds | None:
        """The measured time and checks of one notebook in one profile, or None if it has no section.

        Only the checks that hold on ``keras_version`` (default: the installed Keras) are included.  A profile
        based on another (``quick`` on ``ci``: :data:`course_utils.profiles.BASED_ON`) without a section of its
        own runs that profile's values, so that profile's section holds for it.
        """
        profile = self._own_section(key, profile)
        if key not in self._data or profile not in self._data[key]:
            return None
        section = self._data[key][profile]
        measured = self.measured_s(key, profile)
        version = installed_keras() if keras_version is None else keras_version
        checks = tuple(check for check in self._checks(section, key, profile) if check.applies_to(version))
        return NotebookThresholds(key, UNMEASURED_S if measured is None else measured, checks)

    def measured_s(self, key: str, profile: str) -> float | None:
        """The wall time measured for notebook ``key`` in ``profile``, or None if it was never timed."""
        if profile == EDITION_PROFILE:
            return self._full_times.get(key)
        profile = self._own_section(key, profile)
        seconds = self._data.get(key, {}).get(profile, {}).get("measured_s")
        return None if seconds is None else float(seconds)

    def here_s(self, key: str, profile: str) -> float | None:
        """The wall time of notebook ``key`` in ``profile`` on the course's machine (what a learner reads): ci's
        ``measured_s`` are the slowest CI machine's, so they are divided back by :data:`SLOW_MACHINE_FACTOR`."""
        seconds = self.measured_s(key, profile)
        if seconds is None or profile == EDITION_PROFILE or self._own_section(key, profile) != CI_PROFILE:
            return seconds
        return seconds / SLOW_MACHINE_FACTOR

    def _own_section(self, key: str, profile: str) -> str:
        """``profile``, or the profile it is based on where the notebook has no section of its own for it."""
        from ..profiles import BASED_ON

        while profile in BASED_ON and profile not in self._data.get(key, {}):
            profile = BASED_ON[profile]
        return profile

    def sections(self) -> list[tuple[str, str]]:
        """Every (notebook key, profile) the file has a section for."""
        return [(key, profile) for key in self._data for profile in self._data[key]]

    def unmatched(self, root: Path) -> list[str]:
        """Section keys that name no notebook under ``root`` (a typo would pass with zero checks)."""
        return sorted(key for key in self._data if not (Path(root) / f"{key}.ipynb").is_file())
