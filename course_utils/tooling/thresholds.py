"""Thresholds: one TOML file of checks and a time cap per notebook and profile, and their evaluation.

A check is a comparison of arithmetic over recorded metric names and numbers, for example
``phase2_val_accuracy >= 0.9`` or ``fixed_accuracy > broken_accuracy + 0.05``.  Each check carries
the value measured when it was set (``measured``), so a reader sees the margin.

File layout (``tests/thresholds.toml``)::

    ["notebooks/00_setup".ci]
    timeout_s = 45
    checks = [
      { expr = "pets_top1_species_accuracy >= 0.75", measured = "0.867 on 2026-11-23 (ci, 24 s)" },
    ]
    parameters = { EPOCHS = 3 }   # optional: papermill parameters for this notebook in this profile

``parameters`` lets one notebook run smaller than the profile's table in CI (for example fewer
epochs for a lesson that trains end to end); they are injected like the harness's ``PROFILE``.
"""

from __future__ import annotations

import ast
import operator
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_TIMEOUT_S = 600

_COMPARE = {ast.GtE: operator.ge, ast.Gt: operator.gt, ast.LtE: operator.le, ast.Lt: operator.lt}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class ThresholdError(ValueError):
    """A malformed check in the thresholds file."""


@dataclass(frozen=True)
class Check:
    expr: str
    measured: str = ""

    def names(self) -> set[str]:
        return {node.id for node in ast.walk(_parse(self.expr)) if isinstance(node, ast.Name)}

    def evaluate(self, metrics: Mapping[str, float]) -> tuple[bool, str]:
        """(passed, explanation).  A metric the notebook did not record fails the check."""
        missing = sorted(self.names() - set(metrics))
        if missing:
            return False, f"{self.expr}: the notebook recorded no {', '.join(missing)}"
        tree = _parse(self.expr)
        try:
            left = _value(tree.left, metrics)
            right = _value(tree.comparators[0], metrics)
        except ZeroDivisionError:
            return False, f"{self.expr}: division by zero with the recorded values"
        passed = _COMPARE[type(tree.ops[0])](left, right)
        values = ", ".join(f"{name} = {metrics[name]:.4g}" for name in sorted(self.names()))
        note = f" (when set: {self.measured})" if self.measured else ""
        return passed, f"{self.expr} [{values}; {left:.4g} vs {right:.4g}]{note}"


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
    timeout_s: float
    checks: tuple[Check, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)  # papermill parameters for this profile


class Thresholds:
    """The parsed thresholds file."""

    def __init__(self, data: Mapping[str, Any]):
        from ..profiles import PROFILES

        self._data = data
        for key in data:  # validate everything up front: a typo fails at once, not at the end
            for profile, section in data[key].items():
                if profile not in PROFILES or not isinstance(section, Mapping):
                    raise ThresholdError(f'["{key}".{profile}]: not a profile ({", ".join(PROFILES)})')
                unknown = set(section) - {"timeout_s", "checks", "parameters"}
                if unknown:
                    raise ThresholdError(
                        f'["{key}".{profile}]: unknown key(s) {", ".join(sorted(unknown))}; '
                        "use timeout_s, checks and parameters"
                    )
                bad = [name for name in section.get("parameters", {}) if not name.isupper()]
                if bad:
                    raise ThresholdError(
                        f'["{key}".{profile}] parameters: {", ".join(bad)} — notebook '
                        "parameters are UPPER_CASE names of the notebook's parameters cell"
                    )
                for check in self._checks(section, key, profile):
                    check.names()

    @classmethod
    def load(cls, path: str | Path) -> Thresholds:
        with open(path, "rb") as handle:
            return cls(tomllib.load(handle))

    @staticmethod
    def _checks(section: Mapping[str, Any], key: str, profile: str) -> tuple[Check, ...]:
        try:
            return tuple(Check(**item) for item in section.get("checks", ()))
        except TypeError as error:
            raise ThresholdError(f"[{key}.{profile}] checks: {error}") from None

    def for_notebook(self, key: str, profile: str) -> NotebookThresholds | None:
        """The timeout and checks of one notebook in one profile, or None if it has no section."""
        if key not in self._data or profile not in self._data[key]:
            return None
        section = self._data[key][profile]
        return NotebookThresholds(
            key,
            float(section.get("timeout_s", DEFAULT_TIMEOUT_S)),
            self._checks(section, key, profile),
            MappingProxyType(dict(section.get("parameters", {}))),
        )
