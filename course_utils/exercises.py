"""Exercises are generated from their solutions, so the two never drift apart.

In a solution notebook, the learner's part of a code cell sits between ``# BEGIN SOLUTION: <task>``
and ``# END SOLUTION``.  The exercise gets, instead, a placeholder that raises
``NotImplementedError("Exercise NN: <task>")`` — a clear message, not a ``NameError`` later — and
the cell is tagged ``raises-exception``.  Cells tagged ``solution-only`` are left out.
"""

from __future__ import annotations

import ast
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
        defs = [node.name for node in ast.parse(source).body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
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
                indent = prefix[len(prefix.rstrip(" ")):]  # a placeholder inside a def: close the body
                closed = prefix + (indent + "pass" if indent else "")
                available = _names(closed)[0]
                if indent:  # the function around the placeholder exists, but calling it raises
                    available -= {_enclosing_function(closed)}
                missing |= bound - available
            elif read & missing:
                missing |= bound
            if found or read & missing:
                if "raises-exception" not in tags:
                    cell.metadata["tags"] = tags + ["raises-exception"]
        cells.append(cell)
    nb.cells = cells
    return nb


def cell_role(cell) -> str | None:
    """``"placeholder"``, ``"check"`` (a cell that calls ``checks.check_*`` and cannot pass yet),
    ``"dependent"`` (another cell that needs the learner's answer), or None."""
    if cell.cell_type != "code" or "raises-exception" not in cell.metadata.get("tags", []):
        return None
    if re.search(r"^raise NotImplementedError\(", cell.source, re.MULTILINE):
        return "placeholder"  # at the top level of the cell: running the cell raises
    if "raise NotImplementedError(" in cell.source:
        return "dependent"  # inside a function: calling it raises, in a later (check) cell
    return "check" if "checks.check_" in cell.source else "dependent"


def _probe(role: str, message: str) -> str:
    if role == "placeholder":
        condition = f"isinstance(_error, NotImplementedError) and {message!r} in str(_error)"
        expected = f"the placeholder to raise NotImplementedError({message!r})"
    else:
        condition = "_error is not None"
        expected = "the check cell to fail while the learner's part is a placeholder"
    return ("# harness probe (not part of the exercise)\n"
            "import sys\n"
            "_error, sys.last_value = getattr(sys, 'last_value', None), None\n"
            f"assert {condition}, 'expected ' + {expected!r} + ', got: ' + repr(_error)")


def nbval_copy(exercise: Path, target: Path, parameters: dict) -> Path:
    """A copy of ``exercise`` for nbval: ``parameters`` injected, and after every placeholder and
    check cell a probe cell asserting that it failed the way it must (nbval's ``raises-exception``
    alone only tolerates an error; it does not require one)."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(load_notebook_node(str(exercise)), parameters)
    cells = []
    for cell in nb.cells:
        role = cell_role(cell)
        if role == "check":  # forget any earlier error, so that only this cell's failure counts
            cells.append(nbformat.v4.new_code_cell("# harness probe (not part of the exercise)\n"
                                                   "import sys\nsys.last_value = None"))
        cells.append(cell)
        if role in ("placeholder", "check"):
            message = re.search(r"raise NotImplementedError\((['\"])(.*?)\1\)", cell.source)
            cells.append(nbformat.v4.new_code_cell(_probe(role, message.group(2) if message else "")))
    nb.cells = cells
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


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
