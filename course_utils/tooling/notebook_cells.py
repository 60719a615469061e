"""Questions about a notebook's cells that several tools ask: its code, as run, and its title cell."""

from __future__ import annotations

import nbformat

#: The tag papermill puts on the cell it injects with a run's parameters: not part of the notebook's code.
INJECTED = "injected-parameters"


def code_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The sources of the notebook's code cells, in order, without papermill's injected parameters."""
    return [
        cell.source for cell in nb.cells if cell.cell_type == "code" and INJECTED not in cell.metadata.get("tags", [])
    ]


def first_markdown_index(nb: nbformat.NotebookNode) -> int | None:
    """The index of the first Markdown cell (the title cell of every course notebook), or None."""
    return next((index for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"), None)
