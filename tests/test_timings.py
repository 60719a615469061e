"""The run-time line at the top of every notebook, generated from tests/thresholds.toml."""

from __future__ import annotations

import nbformat
import pytest

from course_utils.tooling import timings
from course_utils.tooling.thresholds import Thresholds


def test_duration_text_is_what_a_learner_plans_with():
    assert timings.duration_text(12) == "10 s"
    assert timings.duration_text(47) == "45 s"
    assert timings.duration_text(590) == "about 10 min"


def test_the_line_names_each_learners_profile_and_says_when_one_was_never_timed():
    thresholds = Thresholds({"notebooks/05_x": {"ci": {"measured_s": 137}}})
    line = timings.timing_line(thresholds, "notebooks/05_x")
    assert "`full` (the lesson as written) not timed yet" in line and "`ci`" not in line
    # no quick values: quick runs ci's, timed on the slowest CI machine (x1.8), so the line states 137 / 1.8 s
    assert "`quick` (for slow laptops) 75 s" in line


def test_quick_values_of_its_own_are_timed_on_the_course_machine():
    thresholds = Thresholds({"notebooks/05_x": {"ci": {"measured_s": 137}, "quick": {"measured_s": 137}}})
    assert "`quick` (for slow laptops) about 2 min" in timings.timing_line(thresholds, "notebooks/05_x")


def test_the_block_is_added_once_and_replaced_in_place():
    once = timings.with_timing("# 05 · Title\n\nIntro.", "first line")
    assert once.startswith("# 05 · Title\n\nIntro.\n\n") and "first line" in once
    twice = timings.with_timing(once, "second line")
    assert "first line" not in twice and twice.count(timings.BEGIN) == 1 and "second line" in twice
    assert timings.with_timing(twice, "second line") == twice


def test_update_timings_rewrites_stale_notebooks_in_a_course_clone(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "solutions").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "thresholds.toml").write_text(
        '["notebooks/01_a".full]\n["notebooks/01_a".ci]\nmeasured_s = 30\n'
    )
    (tmp_path / "edition").mkdir()  # a full run's time comes from the edition: stated once
    (tmp_path / "edition" / "edition.json").write_text(
        '{"notebooks": [{"notebook": "notebooks/01_a.ipynb", "seconds": 300}]}'
    )
    path = tmp_path / "notebooks" / "01_a.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · A")])
    nbformat.write(nb, path)
    assert timings.update_timings(write=False, root=tmp_path) == [path]
    assert timings.update_timings(root=tmp_path) == [path]
    assert "`full` (the lesson as written) about 5 min" in nbformat.read(path, as_version=4).cells[0].source
    assert "`quick` (for slow laptops) 15 s" in nbformat.read(path, as_version=4).cells[0].source  # ci's 30 s / 1.8
    assert timings.update_timings(write=False, root=tmp_path) == []
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), path)
    with pytest.raises(ValueError, match="no Markdown cell"):
        timings.update_timings(root=tmp_path)


def test_a_full_time_is_stated_once_in_the_edition_not_in_the_thresholds_file():
    from course_utils.tooling.thresholds import ThresholdError, Thresholds

    with pytest.raises(ThresholdError, match="a full run's time is the edition's"):
        Thresholds({"notebooks/01_a": {"full": {"measured_s": 300}}})
    assert (
        Thresholds({"notebooks/01_a": {"full": {}}}, {"notebooks/01_a": 300}).measured_s("notebooks/01_a", "full")
        == 300
    )
