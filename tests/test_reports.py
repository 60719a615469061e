"""Run reports: the Markdown and JSON in build/, partial runs merged, the README's results blocks."""

from __future__ import annotations

import builtins
import errno
import io
import json
import sys
from pathlib import Path

import pytest

from course_utils.tooling.harness import NotebookRun
from course_utils.tooling.paths import ROOT
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
        peak_memory_mb=1234,
    )
    write_report([run], "ci", directory=tmp_path)
    assert update_readme(readme, directory=tmp_path, edition=tmp_path / "no-edition") == ["ci"]
    text = readme.read_text()
    assert "| `notebooks/00_setup.ipynb` | ok | 12 s | 1.2 GB | pets_top1_species_accuracy 0.867 |" in text
    assert "profile `ci`" in text and text.count("old") == 1 and text.endswith("bottom\n")


def test_the_readme_s_full_results_are_the_edition_s_not_the_last_full_report(tmp_path):
    import json

    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:full:start -->\nold\n<!-- results:full:end -->\n")
    write_report([_run(seconds=99.0, date="2026-12-01")], "full", directory=tmp_path)  # one notebook re-run
    edition = tmp_path / "edition"
    edition.mkdir()
    entry = {"notebook": "notebooks/00_setup.ipynb", "date": "2026-11-29", "seconds": 21.0, "checks_passed": ["a"]}
    manifest = {"dates": ["2026-11-29"], "machine": "x86_64", "python": "3.11.7", "commits": ["abc"]}
    manifest |= {"total_seconds": 21.0, "notebooks": [{**entry, "metrics": {"accuracy": 0.865}}]}
    (edition / "edition.json").write_text(json.dumps(manifest))
    assert update_readme(readme, directory=tmp_path, edition=edition) == ["full"]
    assert "| `notebooks/00_setup.ipynb` | 2026-11-29 | 21 s | 1 | accuracy 0.865 |" in readme.read_text()


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


def _run(name="notebooks/00_setup.ipynb", seconds=30.0, date="2026-11-22", **fields):
    return NotebookRun(notebook=name, profile="full", executed="x", seconds=seconds, date=date, **fields)


class _DiskFullHalfway:
    """A file opened for writing that takes half of what it is given, then fails as a full disk does."""

    def __init__(self, handle):
        self._handle = handle

    def write(self, text):
        self._handle.write(text[: len(text) // 2])
        self._handle.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()

    def __getattr__(self, name):
        return getattr(self._handle, name)


def test_a_write_that_fails_halfway_leaves_the_previous_report_and_readme_whole(tmp_path, monkeypatch):
    write_report([_run()], "full", directory=tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text("top\n<!-- results:full:start -->\nold\n<!-- results:full:end -->\n")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    real_open = io.open

    def disk_full_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        return _DiskFullHalfway(handle) if set(mode) & set("wxa+") else handle

    monkeypatch.setattr(io, "open", disk_full_open)
    monkeypatch.setattr(builtins, "open", disk_full_open)
    with pytest.raises(OSError, match="No space left"):
        write_report([_run(seconds=99.0, date="2026-11-23")], "full", directory=tmp_path)
    with pytest.raises(OSError, match="No space left"):
        update_readme(readme, directory=tmp_path, edition=tmp_path / "no-edition")
    monkeypatch.undo()
    after = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert after == before, "a failed write must leave the old files whole, and no temporary file behind"


def test_a_damaged_report_is_named_with_the_fix(tmp_path):
    from course_utils.tooling.reports import ReportError, load_report

    path = tmp_path / "last_run.full.json"
    write_report([_run()], "full", directory=tmp_path)
    assert load_report(path)["runs"][0]["notebook"] == "notebooks/00_setup.ipynb"
    text = path.read_text()
    damages = (text[: len(text) // 2], "{}", "[]", '{"runs": [{"notebook": 3}]}', '{"runs": "none"}', "\xff")
    for damaged in (*damages, text.replace('"seconds": 30.0', '"seconds": "30"')):
        path.write_text(damaged)
        with pytest.raises(ReportError) as error:
            load_report(path)
        message = str(error.value)
        assert str(path) in message and "delete" in message, message
        assert "python -m course_utils run --profile full" in message, message
    with pytest.raises(ReportError, match="does not exist: write one with python -m course_utils run --profile ci"):
        load_report(tmp_path / "last_run.ci.json")


def test_a_run_merging_into_a_damaged_report_writes_its_own_and_keeps_the_damaged_one(tmp_path, capsys):
    path = tmp_path / "last_run.full.json"
    path.write_text('{"date": "2026-11-22", "runs": [{"notebook": "notebooks/00_se')  # cut short
    md = write_report([_run(seconds=77.0)], "full", directory=tmp_path, merge=True)
    assert "| 77 s |" in md.read_text()
    assert json.loads(path.read_text())["runs"][0]["seconds"] == 77.0
    set_aside = tmp_path / "last_run.full.json.damaged"
    assert set_aside.read_text().endswith("notebooks/00_se"), "the unreadable rows are kept, not lost"
    warning = capsys.readouterr().err
    assert str(path) in warning and str(set_aside) in warning and "could not be read" in warning
    assert "delete it" not in warning, "nothing is left to delete: the damaged report is already set aside"


def test_the_machine_line_does_not_claim_no_gpu_when_tensorflow_cannot_be_imported(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow now fails
    write_report([_run()], "full", directory=tmp_path)
    machine = json.loads((tmp_path / "last_run.full.json").read_text())["machine"]
    assert "no GPU" not in machine and "unknown (TensorFlow failed to import: " in machine, machine


def _fake_execute(stop_at: str):
    def execute(notebook, profile, **_):
        if stop_at in str(notebook):
            raise KeyboardInterrupt
        name = Path(notebook).resolve().relative_to(ROOT).as_posix()
        return NotebookRun(notebook=name, profile=profile, executed="x", seconds=3600.0, metrics={"accuracy": 0.9})

    return execute


def test_a_run_stopped_with_ctrl_c_reports_the_notebooks_it_finished(tmp_path, monkeypatch, capsys):
    from course_utils.tooling import cli, harness, paths

    monkeypatch.setattr(paths, "REPORT_DIR", tmp_path)
    monkeypatch.setattr(harness, "execute", _fake_execute(stop_at="02_"))
    notebooks = [str(ROOT / "notebooks" / name) for name in ("00_setup.ipynb", "01_feature_hierarchy.ipynb")]
    notebooks.append(str(next((ROOT / "notebooks").glob("02_*.ipynb"))))
    try:
        code = cli.main(["run", "--profile", "full", *notebooks])
    except KeyboardInterrupt:
        code = "KeyboardInterrupt escaped"
    assert code == 130
    report = json.loads((tmp_path / "last_run.full.json").read_text())
    assert [row["notebook"] for row in report["runs"]] == [
        "notebooks/00_setup.ipynb",
        "notebooks/01_feature_hierarchy.ipynb",
    ]
    out = capsys.readouterr()
    assert "Stopped (Ctrl-C) after 2 of 3" in out.err and "2 notebook(s) that finished" in out.err
    assert out.err.rstrip().endswith(notebooks[2]), "the command that runs the rest"
