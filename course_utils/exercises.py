"""Exercises are generated from their solutions, so the two never drift apart.

In a solution notebook, the learner's part of a code cell sits between ``# BEGIN SOLUTION: <task>``
and ``# END SOLUTION``.  The exercise gets, instead, a placeholder that raises
``NotImplementedError("Exercise NN: <task>")`` — a clear message, not a ``NameError`` later — and
the cell is tagged ``raises-exception``.  Cells tagged ``solution-only`` are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .harness import ROOT

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<task>.*))?$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"


def exercise_source(source: str, label: str) -> tuple[str, bool]:
    """A solution cell's source with every solution region replaced; (source, had a region)."""
    out, inside, found = [], False, False
    for line in source.splitlines():
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise ValueError(f"{label}: nested # BEGIN SOLUTION")
            inside, found = True, True
            indent, task = begin["indent"], (begin["task"] or "write this part").strip()
            out.append(f"{indent}# YOUR CODE HERE: {task}")
            out.append(f"{indent}raise NotImplementedError({f'{label}: {task}'!r})")
        elif END.match(line):
            if not inside:
                raise ValueError(f"{label}: # END SOLUTION without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{label}: # BEGIN SOLUTION without END")
    return "\n".join(out), found


def build_exercise(solution: Path) -> nbformat.NotebookNode:
    """The exercise notebook for one solution notebook."""
    nb = nbformat.read(solution, as_version=4)
    label = f"Exercise {solution.stem.split('_')[0]}"
    cells = []
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if "solution-only" in tags:
            continue
        if cell.cell_type == "code":
            cell.source, found = exercise_source(cell.source, label)
            if found and "raises-exception" not in tags:
                cell.metadata["tags"] = tags + ["raises-exception"]
        cells.append(cell)
    nb.cells = cells
    return nb


def build_all(write: bool = True) -> dict[Path, str]:
    """Generate every exercise from ``solutions/``; returns {exercise path: notebook text}."""
    result = {}
    for solution in sorted(SOLUTIONS.glob("*.ipynb")):
        text = nbformat.writes(build_exercise(solution)) + "\n"
        target = EXERCISES / solution.name
        result[target] = text
        if write:
            target.write_text(text, encoding="utf-8")
    return result
