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


#: A lesson is read in one sitting: at most this many words of prose (markdown, without the generated
#: run-time line and HTML comments) and this many non-blank lines of code.
MAX_PROSE_WORDS, MAX_CODE_LINES = 1500, 250


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_lesson_can_be_read_in_one_sitting(path):
    nb = nbformat.read(path, as_version=4)
    prose = " ".join(
        re.sub(r"<!--.*?-->|\*Run time measured.*", "", cell.source, flags=re.S)
        for cell in nb.cells
        if cell.cell_type == "markdown"
    )
    words = len(prose.split())
    lines = sum(1 for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines() if line.strip())
    assert words <= MAX_PROSE_WORDS, (
        f"{path.name}: {words} words of prose (at most {MAX_PROSE_WORDS}): cut, or split the lesson"
    )
    assert lines <= MAX_CODE_LINES, (
        f"{path.name}: {lines} lines of code (at most {MAX_CODE_LINES}): move plumbing to course_utils"
    )
