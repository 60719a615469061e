"""Figures kept in executed notebooks (inline backend) and a cell that plots without an image caught."""

from __future__ import annotations

import os

import nbformat

from course_utils.tooling.figures import INLINE, inline_backend, missing_figures


def _executed(tmp_path, cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    return path


def _cell(source, image=False):
    cell = nbformat.v4.new_code_cell(source)
    if image:
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
        ]
    return cell


def test_a_plotting_cell_without_an_image_is_named(tmp_path):
    path = _executed(
        tmp_path,
        [
            _cell("plot_phases(history.history, fine.history);", image=True),
            _cell("fig, ax = plt.subplots(figsize=(8, 3))\nax.plot(x, y)"),
            _cell("# plot_series(...) in a comment draws nothing\nprint(1)"),
            nbformat.v4.new_markdown_cell("show_images(...) in prose"),
        ],
    )
    problems = missing_figures(path)
    assert len(problems) == 1 and problems[0].startswith("cell 1 draws a figure (plt.subplots)")


def test_inline_backend_is_set_for_the_kernel_and_restored(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    with inline_backend():
        assert os.environ["MPLBACKEND"] == INLINE
    assert os.environ["MPLBACKEND"] == "Agg"
    monkeypatch.delenv("MPLBACKEND")
    with inline_backend():
        pass
    assert "MPLBACKEND" not in os.environ
