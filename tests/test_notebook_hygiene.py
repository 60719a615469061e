"""Committed notebooks: parameters cells, stripped outputs, and the output-contract comparison."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils import harness

ALL = harness.course_notebooks() + sorted((harness.ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_only_marked_cells_carry_outputs(path):
    nb = nbformat.read(path, as_version=4)
    offenders = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.outputs
                 and harness.MARKER not in cell.source]
    assert not offenders, (f"{path.name}: cells {offenders} carry outputs; strip them with "
                           f"'python -m course_utils outputs strip {path.relative_to(harness.ROOT)}'")


@pytest.mark.parametrize("path", harness.course_notebooks(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parameters_cell_names_the_profile(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    source = tagged[0].source
    assert 'PROFILE = "full"' in source and "METRICS_PATH = None" in source
    assert nb.metadata.kernelspec.name == harness.KERNEL


def _notebook(path, text):
    nb = new_notebook()
    cell = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(model.output_shape)")
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    nb.cells.append(cell)
    nbformat.write(nb, path)
    return nb


def test_marked_outputs_must_match(tmp_path):
    source, same, other = tmp_path / "a.ipynb", tmp_path / "b.ipynb", tmp_path / "c.ipynb"
    nb = _notebook(source, "(None, 5, 5, 1280)\n")
    nbformat.write(nb, same)
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="(None, 4, 4, 1280)\n")]
    nbformat.write(nb, other)
    assert harness.compare_marked_outputs(source, same) == []
    problems = harness.compare_marked_outputs(source, other)
    assert len(problems) == 1 and "(None, 4, 4, 1280)" in problems[0]


def test_keep_marked_outputs_strips_the_rest(tmp_path):
    path = tmp_path / "n.ipynb"
    nb = _notebook(path, "(None, 5, 5, 1280)\n")
    loose = new_code_cell("print(1)")
    loose.outputs = [new_output("stream", name="stdout", text="1\n")]
    nb.cells.append(loose)
    nbformat.write(nb, path)
    assert harness.keep_marked_outputs(path, None) == 1
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].outputs and not cells[1].outputs


def test_reports_fill_their_readme_blocks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("top\n<!-- results:ci:start -->\nold\n<!-- results:ci:end -->\n"
                      "<!-- results:full:start -->\nold\n<!-- results:full:end -->\nbottom\n")
    run = harness.NotebookRun(notebook="notebooks/00_setup.ipynb", profile="ci", executed="x", seconds=12.0,
                              metrics={"pets_top1_species_accuracy": 0.867})
    harness.write_report([run], "ci", directory=tmp_path)
    assert harness.update_readme(readme, directory=tmp_path) == ["ci"]
    text = readme.read_text()
    assert "| `notebooks/00_setup.ipynb` | ok | 12 s | pets_top1_species_accuracy 0.867 |" in text
    assert "profile `ci`" in text and text.count("old") == 1 and text.endswith("bottom\n")


def test_a_partial_run_merges_into_the_previous_report(tmp_path):
    def run(name, seconds, date):
        return harness.NotebookRun(notebook=name, profile="full", executed="x", seconds=seconds, date=date)

    harness.write_report([run("notebooks/00_setup.ipynb", 30, "2026-11-22"),
                          run("notebooks/05_two_phase_fine_tuning.ipynb", 900, "2026-11-22")], "full",
                         directory=tmp_path)
    path = harness.write_report([run("notebooks/05_two_phase_fine_tuning.ipynb", 1000, "2026-11-23")], "full",
                                directory=tmp_path, merge=True)
    text = path.read_text()
    assert "2026-11-22 to 2026-11-23" in text and "| 30 s |" in text and "| 1000 s |" in text
    assert "| 900 s |" not in text and text.index("00_setup") < text.index("05_two_phase")
    replaced = harness.write_report([run("notebooks/05_two_phase_fine_tuning.ipynb", 5, "2026-11-23")], "full",
                                    directory=tmp_path)
    assert "00_setup" not in replaced.read_text()
