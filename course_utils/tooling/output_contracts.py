"""Output contracts: cells marked ``# NBVAL_CHECK_OUTPUT`` keep their committed outputs, and a run
must reproduce them (compared the way nbval compares them: streams coalesced, text outputs only).

Every other output is stripped before a notebook is committed (``python -m course_utils outputs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

MARKER = "NBVAL_CHECK_OUTPUT"
COMPARED_MIME = ("text/plain",)


def _comparable(outputs: Iterable[Any]) -> list[tuple[str, str]]:
    """Outputs reduced to what is compared: stdout text and text/plain results, as nbval sees them."""
    from nbval.plugin import coalesce_streams

    items = []
    for output in coalesce_streams([nbformat.from_dict(o) for o in outputs]):
        if output.output_type == "stream" and output.name == "stdout":
            items.append(("stdout", output.text))
        elif output.output_type in ("execute_result", "display_data"):
            items += [(mime, output.data[mime]) for mime in COMPARED_MIME if mime in output.data]
        elif output.output_type == "error":
            items.append(("error", f"{output.ename}: {output.evalue}"))
    return items


def marked_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and MARKER in cell.source]


def compare_marked_outputs(source: Path, executed: Path) -> list[str]:
    """Differences between the committed outputs of marked cells and this run's outputs."""
    committed = nbformat.read(source, as_version=4)
    ran = nbformat.read(executed, as_version=4)
    ran_by_id = {cell.get("id"): cell for cell in ran.cells}
    problems = []
    for index, cell in marked_cells(committed):
        twin = ran_by_id.get(cell.get("id"))
        if twin is None:
            problems.append(f"marked cell {index} is missing from the executed notebook")
            continue
        want, got = _comparable(cell.outputs), _comparable(twin.outputs)
        if not want:
            problems.append(
                f"marked cell {index} has no committed output to compare; refresh it with "
                f"'python -m course_utils outputs keep {source.name}'"
            )
        elif want != got:
            problems.append(f"output of marked cell {index} changed:\n    committed: {want!r}\n    this run:  {got!r}")
    return problems


def keep_marked_outputs(source: Path, executed: Path | None) -> int:
    """Strip every output of ``source`` except marked cells, which take ``executed``'s outputs.

    With ``executed=None`` marked cells keep what they have.  Returns how many cells carry outputs.
    """
    nb = nbformat.read(source, as_version=4)
    ran_by_id = {}
    if executed is not None:
        ran_by_id = {cell.get("id"): cell for cell in nbformat.read(executed, as_version=4).cells}
    kept = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if MARKER in cell.source:
            if cell.get("id") in ran_by_id:
                cell.outputs = [
                    o for o in ran_by_id[cell.id].outputs if not (o.output_type == "stream" and o.name == "stderr")
                ]
            kept += bool(cell.outputs)
        else:
            cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, source)
    return kept
