"""Recording what a notebook measured.

``record("phase1_val_accuracy", acc)`` adds the value, when the harness gave the notebook a metrics
file (the environment variable ``COURSE_METRICS_PATH``, which :func:`course_utils.setup` reads), to that file for the threshold checks, and prints
nothing: the lesson states its numbers in its own sentences, and a learner's run shows no bookkeeping.
Numbers are recorded from the computation itself, never typed in.
"""

from __future__ import annotations

import json
import math
import re
from numbers import Real
from pathlib import Path

from .assets.manifest import write_text_atomic

#: The environment variable in which the harness names a run's metrics file.
METRICS_PATH_VAR = "COURSE_METRICS_PATH"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_sink: Path | None = None


def set_metrics_path(path: str | Path | None) -> None:
    """Where :func:`record` writes (``None``: only show).  Starts the file afresh."""
    global _sink
    _sink = Path(path) if path else None
    if _sink is not None:
        write_text_atomic(_sink, "{}\n")


def record(name: str, value: float) -> None:
    """Under the harness, write a measured number to the metrics file; check it in any case (silently).

    Returns nothing, so a cell that ends with ``record(...)`` shows nothing more.
    """
    if not _NAME.match(name):
        raise ValueError(f"metric name {name!r}: use lower_case_with_underscores")
    if isinstance(value, bool) or not isinstance(value, Real) and not hasattr(value, "__float__"):
        raise TypeError(f"metric {name!r} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"metric {name!r} is {number}: the computation behind it went wrong")
    if _sink is not None:
        data = read_metrics(_sink)
        data[name] = number
        write_text_atomic(_sink, json.dumps(data, indent=1, sort_keys=True) + "\n")


def read_metrics(path: str | Path) -> dict[str, float]:
    """The metrics a notebook recorded ({} if it recorded none)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
