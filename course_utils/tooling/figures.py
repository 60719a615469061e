"""Figures in executed notebooks: drawn with the inline backend, kept in the outputs, and checked.

With ``MPLBACKEND=Agg`` (a headless default, and what CI exports) a notebook's plots are drawn into
nothing, so an executed copy holds no figure and a broken plot goes unseen.  The harness runs every
kernel with matplotlib's inline backend (:func:`inline_backend`), so figures land in the outputs as
PNG images, and :func:`missing_figures` names every cell that calls a plotting function but shows
no image.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat

INLINE = "module://matplotlib_inline.backend_inline"

#: A call that draws a figure: matplotlib itself, or one of the course's plotting helpers.
FIGURE_CALL = re.compile(
    r"^[^#\n]*\b(plt\.(subplots|figure|imshow|plot)\(|show_images\(|show_feature_maps\(|plot_series\(|plot_phases\(|plot_confusion\()",
    re.MULTILINE,
)


@contextlib.contextmanager
def inline_backend() -> Iterator[None]:
    """Kernels started inside the block draw with the inline backend (``MPLBACKEND`` restored afterwards)."""
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = INLINE
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def _has_image(cell) -> bool:
    return any("image/png" in output.get("data", {}) for output in cell.get("outputs", []))


def missing_figures(executed: str | Path) -> list[str]:
    """One problem per code cell of the executed notebook that calls a plotting function but shows no image."""
    nb = nbformat.read(executed, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        call = FIGURE_CALL.search(cell.source)
        if call and not _has_image(cell):
            problems.append(
                f"cell {index} draws a figure ({call.group(1).rstrip('(')}) but its output holds no image: "
                "was the figure closed before the cell ended, or the kernel started with a non-inline MPLBACKEND?"
            )
    return problems
