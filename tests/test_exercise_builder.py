"""Exercises are generated from solutions: placeholders raise with their task, dependent cells are tagged."""

from __future__ import annotations

import nbformat
import pytest
from exercise_probes import cell_role, nbval_copy

from course_utils.tooling.exercise_builder import build_all, build_exercise, exercise_source


def test_committed_exercises_match_the_generator():
    for path, text in build_all(write=False).items():
        assert path.is_file(), f"{path.name} missing: run 'python -m course_utils exercises build'"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} differs from what its solution generates: edit solutions/{path.name}, then "
            "run 'python -m course_utils exercises build'"
        )


def test_every_exercise_has_a_placeholder_that_raises():
    for path, text in build_all(write=False).items():
        nb = nbformat.reads(text, as_version=4)
        placeholders = [c for c in nb.cells if "raise NotImplementedError(" in c.source]
        assert placeholders and all(cell_role(c) for c in placeholders), path.name
        check_cells = [c for c in nb.cells if c.cell_type == "code" and "checks.check_" in c.source]
        assert check_cells and all(cell_role(c) == "check" for c in check_cells), path.name
        assert "# BEGIN SOLUTION" not in text and "# END SOLUTION" not in text


def _solution(tmp_path):
    cells = [
        nbformat.v4.new_code_cell("PROFILE = 'full'"),
        nbformat.v4.new_code_cell(
            "import math\nbase = 1\n# BEGIN SOLUTION: set answer\nanswer = base + 1\n# END SOLUTION\nmodel = answer * 2"
        ),
        nbformat.v4.new_code_cell("print(checks.check_answer(answer))"),
        nbformat.v4.new_code_cell("report = model + 1"),
        nbformat.v4.new_code_cell("print(report)"),
        nbformat.v4.new_code_cell("print(math.pi, base)"),
    ]
    cells[0].metadata["tags"] = ["parameters"]
    path = tmp_path / "09_demo.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def test_cells_that_need_the_answer_are_tagged_and_the_rest_run(tmp_path):
    nb = build_exercise(_solution(tmp_path))
    roles = [cell_role(c) for c in nb.cells]
    # math and base are bound before the placeholder, so the last cell runs in the exercise.
    assert roles == [None, "placeholder", "check", "dependent", "dependent", None]


def test_nbval_copy_probes_placeholders_and_checks(tmp_path):
    exercise = tmp_path / "exercise.ipynb"
    nbformat.write(build_exercise(_solution(tmp_path)), exercise)
    copy = nbformat.read(nbval_copy(exercise, tmp_path / "copy" / "e.ipynb", {"PROFILE": "smoke"}), 4)
    sources = [c.source for c in copy.cells]
    assert any('PROFILE = "smoke"' in s for s in sources)  # papermill's injected parameters
    probes = [s for s in sources if s.startswith("# harness probe") and "assert" in s]
    assert sum(s.startswith("# harness probe") for s in sources) == 3  # with the reset before the check
    assert len(probes) == 2 and "'Exercise 09: set answer' in str(_error)" in probes[0]
    assert "_error is not None" in probes[1]
    namespace: dict = {}
    import sys

    sys.last_value = NotImplementedError("Exercise 09: set answer")
    exec(probes[0], namespace)  # passes: the placeholder failed with its task
    with pytest.raises(AssertionError, match="expected the check cell to fail"):
        exec(probes[1], namespace)  # sys.last_value was reset: "the check passed" must fail


def test_solution_regions_become_placeholders_with_the_task():
    source = "x = 1\n    # BEGIN SOLUTION: compute y\n    y = x + 1\n    # END SOLUTION\nprint(y)"
    out, found = exercise_source(source, "Exercise 09")
    assert found
    assert "y = x + 1" not in out
    assert '    raise NotImplementedError("Exercise 09: compute y")' in out
    with pytest.raises(ValueError, match="without END"):
        exercise_source("# BEGIN SOLUTION\nx", "Exercise 09")
