"""Probe cells that prove an exercise fails the way it must, for the nbval run of the exercises.

nbval's ``raises-exception`` tag only tolerates an error; it does not require one.  The copies
nbval runs get a probe after each placeholder (it must raise its ``NotImplementedError``) and
around each check cell (it must fail while the learner's part is a placeholder).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat


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
    return (
        "# harness probe (not part of the exercise)\n"
        "import sys\n"
        "_error, sys.last_value = getattr(sys, 'last_value', None), None\n"
        f"assert {condition}, 'expected ' + {expected!r} + ', got: ' + repr(_error)"
    )


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
            cells.append(
                nbformat.v4.new_code_cell(
                    "# harness probe (not part of the exercise)\nimport sys\nsys.last_value = None"
                )
            )
        cells.append(cell)
        if role in ("placeholder", "check"):
            message = re.search(r"raise NotImplementedError\(\s*(['\"])(.*?)\1\s*\)", cell.source)
            cells.append(nbformat.v4.new_code_cell(_probe(role, message.group(2) if message else "")))
    nb.cells = cells
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target
