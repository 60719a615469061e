"""Exercises are generated from their solutions, so the two never drift apart.

In a solution notebook, the learner's part of a code cell sits between ``# BEGIN SOLUTION: <task>``
and ``# END SOLUTION``.  The exercise gets, instead, a placeholder that raises
``NotImplementedError("Exercise NN: <task>")`` — a clear message, not a ``NameError`` later — and
the cell is tagged ``raises-exception``.  Cells tagged ``solution-only`` are left out.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
from pathlib import Path

import nbformat

from .paths import EXERCISES, PYPROJECT, SOLUTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<task>.*))?$")
END = re.compile(r"^\s*# END SOLUTION\s*$")


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
            out += _placeholder(indent, f"{label}: {task}")
        elif END.match(line):
            if not inside:
                raise ValueError(f"{label}: # END SOLUTION without BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{label}: # BEGIN SOLUTION without END")
    return "\n".join(out), found


def _string_literal(text: str) -> str:
    """``text`` as a Python string literal quoted the way ``ruff format`` quotes it."""
    if text.count('"') > text.count("'"):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(text, ensure_ascii=False)


def _placeholder(indent: str, message: str) -> list[str]:
    """``raise NotImplementedError(message)``, laid out as ``ruff format`` lays it out."""
    literal = _string_literal(message)
    line = f"{indent}raise NotImplementedError({literal})"
    if len(line) <= line_length():
        return [line]
    return [f"{indent}raise NotImplementedError(", f"{indent}    {literal}", f"{indent})"]


@functools.cache
def line_length() -> int:
    """The line length ``ruff format`` keeps to, from ``pyproject.toml`` (88, ruff's default, without one)."""
    try:
        return int(tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["ruff"]["line-length"])
    except (OSError, KeyError):
        return 88


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds, names it reads), from its Python syntax tree."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and the like: treat as binding and reading nothing
        return set(), set()
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound, read


def _enclosing_function(source: str) -> str | None:
    """The name of the last top-level function or class defined in ``source``."""
    try:
        defs = [
            node.name
            for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
    except SyntaxError:
        return None
    return defs[-1] if defs else None


def build_exercise(solution: Path) -> nbformat.NotebookNode:
    """The exercise notebook for one solution notebook.

    Cells with a solution region become placeholders.  A placeholder stops its whole cell, so
    every name that cell binds is missing in the exercise; a later cell that reads a missing name
    (a check cell, say) cannot succeed before the learner writes their part, and is tagged
    ``raises-exception`` as well (the names it binds go missing in turn).
    """
    nb = nbformat.read(solution, as_version=4)
    label = f"Exercise {solution.stem.split('_')[0]}"
    cells, missing = [], set()
    for cell in nb.cells:
        tags = list(cell.metadata.get("tags", []))
        if "solution-only" in tags:
            continue
        if cell.cell_type == "code":
            bound, read = _names(cell.source)
            cell.source, found = exercise_source(cell.source, label)
            if found:  # what the cell binds before its placeholder still exists
                prefix = cell.source.split("# YOUR CODE HERE", 1)[0]
                indent = prefix[len(prefix.rstrip(" ")) :]  # a placeholder inside a def: close the body
                closed = prefix + (indent + "pass" if indent else "")
                available = _names(closed)[0]
                if indent:  # the function around the placeholder exists, but calling it raises
                    available -= {_enclosing_function(closed)}
                missing |= bound - available
            elif read & missing:
                missing |= bound
            if (found or read & missing) and "raises-exception" not in tags:
                cell.metadata["tags"] = tags + ["raises-exception"]
        cells.append(cell)
    nb.cells = cells
    return nb


def build_all(write: bool = True, solutions: Path = SOLUTIONS, exercises: Path = EXERCISES) -> dict[Path, str]:
    """Generate every exercise from ``solutions/``; returns {exercise path: notebook text}.

    Raises ``FileNotFoundError`` when there is no solution to build from.
    """
    found = sorted(solutions.glob("*.ipynb"))
    if not found:
        raise FileNotFoundError(
            f"No solution notebooks in {solutions}: exercises are generated from them. "
            "Run this from a complete clone of the course."
        )
    result = {}
    for solution in found:
        text = nbformat.writes(build_exercise(solution)) + "\n"
        target = exercises / solution.name
        result[target] = text
        if write:
            target.write_text(text, encoding="utf-8")
    return result
