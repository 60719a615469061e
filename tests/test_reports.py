"""Run reports: the Markdown and JSON in build/, partial runs merged, the README's results blocks."""

from __future__ import annotations

from course_utils.tooling.harness import NotebookRun
from course_utils.tooling.reports import update_readme, write_report


def test_reports_fill_their_readme_blocks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "top\n<!-- results:ci:start -->\nold\n<!-- results:ci:end -->\n"
        "<!-- results:full:start -->\nold\n<!-- results:full:end -->\nbottom\n"
    )
    run = NotebookRun(
        notebook="notebooks/00_setup.ipynb",
        profile="ci",
        executed="x",
        seconds=12.0,
        metrics={"pets_top1_species_accuracy": 0.867},
    )
    write_report([run], "ci", directory=tmp_path)
    assert update_readme(readme, directory=tmp_path) == ["ci"]
    text = readme.read_text()
    assert "| `notebooks/00_setup.ipynb` | ok | 12 s | pets_top1_species_accuracy 0.867 |" in text
    assert "profile `ci`" in text and text.count("old") == 1 and text.endswith("bottom\n")


def test_a_partial_run_merges_into_the_previous_report(tmp_path):
    def run(name, seconds, date):
        return NotebookRun(notebook=name, profile="full", executed="x", seconds=seconds, date=date)

    write_report(
        [
            run("notebooks/00_setup.ipynb", 30, "2026-11-22"),
            run("notebooks/05_two_phase_fine_tuning.ipynb", 900, "2026-11-22"),
        ],
        "full",
        directory=tmp_path,
    )
    path = write_report(
        [run("notebooks/05_two_phase_fine_tuning.ipynb", 1000, "2026-11-23")], "full", directory=tmp_path, merge=True
    )
    text = path.read_text()
    assert "2026-11-22 to 2026-11-23" in text and "| 30 s |" in text and "| 1000 s |" in text
    assert "| 900 s |" not in text and text.index("00_setup") < text.index("05_two_phase")
    replaced = write_report(
        [run("notebooks/05_two_phase_fine_tuning.ipynb", 5, "2026-11-23")], "full", directory=tmp_path
    )
    assert "00_setup" not in replaced.read_text()
