"""Committed notebooks: parameters cells, stripped outputs, and the output-contract comparison."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils.tooling.harness import KERNEL
from course_utils.tooling.output_contracts import MARKER, compare_marked_outputs, keep_marked_outputs
from course_utils.tooling.paths import EXERCISES, ROOT, course_notebooks

ALL = course_notebooks() + sorted(EXERCISES.glob("*.ipynb"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_only_marked_cells_carry_outputs(path):
    nb = nbformat.read(path, as_version=4)
    offenders = [
        i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.outputs and MARKER not in cell.source
    ]
    assert not offenders, (
        f"{path.name}: cells {offenders} carry outputs; strip them with "
        f"'python -m course_utils outputs strip {path.relative_to(ROOT)}'"
    )


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_parameters_cell_names_the_profile(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    source = tagged[0].source
    assert 'PROFILE = "full"' in source
    assert nb.metadata.kernelspec.name == KERNEL


#: Notebooks whose parameters cell still holds the harness's old knobs (issue 22 converts them one full
#: run at a time; each needs a full run for the edition once its code changes). Shrinks to empty.
OLD_PARAMETERS = {
    "notebooks/01_feature_hierarchy",
    "notebooks/05_two_phase_fine_tuning",
    "notebooks/08_capstone_flowers",
    "solutions/01_feature_hierarchy",
    "solutions/05_two_phase_fine_tuning",
    "solutions/08_capstone_flowers",
    "exercises/01_feature_hierarchy",
    "exercises/05_two_phase_fine_tuning",
    "exercises/08_capstone_flowers",
}
#: Names only the harness needs: they reach the kernel as environment variables (COURSE_METRICS_PATH,
#: COURSE_RANDOM_WEIGHTS), so a learner's parameters cell holds only what a learner may change.
HARNESS_NAMES = re.compile(r"\b(METRICS_PATH|WEIGHTS)\b")


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_parameters_cell_and_the_code_hold_no_harness_knobs(path):
    key = f"{path.parent.name}/{path.stem}"
    nb = nbformat.read(path, as_version=4)
    named = sorted(
        {m.group(1) for cell in nb.cells if cell.cell_type == "code" for m in HARNESS_NAMES.finditer(cell.source)}
    )
    if key in OLD_PARAMETERS:
        assert named, f"{key} no longer names METRICS_PATH or WEIGHTS: take it off OLD_PARAMETERS"
        return
    assert not named, (
        f"{key} names {', '.join(named)}: the harness passes its metrics file and the negative control's random "
        'weights through the environment (course_utils.setup reads them); write weights="imagenet" and call setup() '
        "without metrics_path"
    )


def _loads_tensorflow(module: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether importing ``course_utils.<module>`` imports TensorFlow (a top-level import, or one of a module it imports)."""
    path = ROOT / "course_utils" / f"{module}.py"
    if module in seen or not path.is_file():
        return False
    source = path.read_text()
    if re.search(r"^(import|from) (tensorflow|keras)\b", source, re.M):
        return True
    return any(_loads_tensorflow(name, seen | {module}) for name in re.findall(r"^from \.(\w+) import", source, re.M))


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_nothing_loads_tensorflow_before_setup(path):
    """setup() holds back TensorFlow's native start-up lines only if TensorFlow is first imported under it."""
    nb = nbformat.read(path, as_version=4)
    before = ""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "course_utils.setup(" in cell.source:
            before += cell.source.split("course_utils.setup(", 1)[0]
            break
        before += cell.source + "\n"
    early = re.findall(r"^\s*(?:import|from) (tensorflow|keras)\b", before, re.M)
    for names in re.findall(r"^\s*from course_utils import (.+)$", before, re.M):
        early += [name.strip() for name in names.split(",") if _loads_tensorflow(name.strip())]
    assert not early, f"{path.name}: {early} imported before course_utils.setup(...): import them in a later cell"


def test_the_tensorflow_import_check_sees_through_helpers():
    assert _loads_tensorflow("backbones") and not _loads_tensorflow("exercise_checks")


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
    assert compare_marked_outputs(source, same) == []
    problems = compare_marked_outputs(source, other)
    assert len(problems) == 1 and "(None, 4, 4, 1280)" in problems[0]


def test_keep_marked_outputs_strips_the_rest(tmp_path):
    path = tmp_path / "n.ipynb"
    nb = _notebook(path, "(None, 5, 5, 1280)\n")
    loose = new_code_cell("print(1)")
    loose.outputs = [new_output("stream", name="stdout", text="1\n")]
    nb.cells.append(loose)
    nbformat.write(nb, path)
    assert keep_marked_outputs(path, None) == 1
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].outputs and not cells[1].outputs


def test_every_notebook_says_how_long_it_takes_as_measured():
    from course_utils.tooling.timings import update_timings

    stale = update_timings(write=False)
    assert not stale, f"run-time lines missing or stale in {stale}: run 'python -m course_utils timings'"
