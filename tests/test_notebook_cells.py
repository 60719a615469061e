"""The cell questions the tools share: a notebook's code as written, and its title cell."""

from __future__ import annotations

import nbformat

from course_utils.tooling.notebook_cells import INJECTED, code_sources, first_markdown_index


def test_code_sources_leave_out_markdown_and_papermills_injected_parameters():
    injected = nbformat.v4.new_code_cell('PROFILE = "ci"', metadata={"tags": [INJECTED]})
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1"), injected]
    )
    assert code_sources(nb) == ["x = 1"]


def test_the_title_cell_is_the_first_markdown_cell_or_none():
    code, title = nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_markdown_cell("# Title")
    assert first_markdown_index(nbformat.v4.new_notebook(cells=[code, title])) == 1
    assert first_markdown_index(nbformat.v4.new_notebook(cells=[code])) is None
