"""Failing a check, and the two tiers of its hints: what is wrong first, then what to use."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NoReturn


class CheckFailed(AssertionError):
    """The answer is not right yet; the message says what to change."""


def _fail(message: str) -> NoReturn:
    raise CheckFailed(message)


# --- Hints in two tiers -------------------------------------------------------------------------------------------

#: What a first failure adds: how to get the second tier.
AGAIN = "Change your answer and run the check again: a second failure, or exercise_checks.hint(), names what to use."


class Hint(str):
    """A hint's text, shown as plain text (no quotes) when it is a cell's last value."""

    def __repr__(self) -> str:
        return str(self)


@dataclass
class _Hints:
    """How often each check failed in this kernel, and the second tier of the last failure."""

    failures: Counter[str] = field(default_factory=Counter)
    last: str | None = None


_HINTS = _Hints()


def _fail_tiered(check: str, what: str, how: str) -> NoReturn:
    """Fail ``check`` (failures are counted by its name): the message says ``what`` is wrong, which must not give
    the answer away, and from the check's second failure on also ``how`` to put it right — the function or line."""
    _HINTS.failures[check] += 1
    _HINTS.last = how
    if _HINTS.failures[check] == 1:
        raise CheckFailed(f"{what}\n({AGAIN})")
    raise CheckFailed(f"{what}\nHint: {how}")


def hint() -> Hint:
    """The second tier of the last failed check's hint: the function or line to use."""
    if _HINTS.last is None:
        return Hint("No check has failed in this kernel yet: run the check cell first.")
    return Hint(f"Hint: {_HINTS.last}")


def reset_hints() -> None:
    """Forget every failure so far: the next failure of each check is a first one again."""
    _HINTS.failures.clear()
    _HINTS.last = None
