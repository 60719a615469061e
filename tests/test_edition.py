"""The course edition: built from a full run, cleaned, refused when incomplete or stale, and current."""

from __future__ import annotations

import json

import nbformat
import pytest

from course_utils.tooling.edition import MANIFEST, EditionError, build_edition, check_edition, code_digest


def _course(tmp_path):
    """A tiny course: one lesson and one solution, with a thresholds file and a README."""
    root = tmp_path / "course"
    for folder in ("notebooks", "solutions", "exercises", "tests"):
        (root / folder).mkdir(parents=True)
    (root / "tests" / "thresholds.toml").write_text(
        "".join(
            f'["{name}".full]\nchecks = [{{ expr = "accuracy >= 0.8" }}]\n'
            for name in ("notebooks/00_intro", "solutions/01_probe")
        )
    )
    (root / "README.md").write_text("# Course\n\nIntro.\n\n## Lessons\n\nA table.\n\n## Measured results\n\nNumbers.\n")
    for name in ("notebooks/00_intro", "solutions/01_probe"):
        nb = nbformat.v4.new_notebook(
            cells=[
                nbformat.v4.new_markdown_cell(f"# {name}\n\nWhy it matters."),
                nbformat.v4.new_code_cell('PROFILE = "full"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("show_images(photos)"),
            ]
        )
        nbformat.write(nb, root / f"{name}.ipynb")
    return root


def _executed_copy(root, name, *, code="show_images(photos)", image=True):
    nb = nbformat.read(root / f"{name}.ipynb", as_version=4)
    injected = nbformat.v4.new_code_cell(f'PROFILE = "full"\nMETRICS_PATH = "{root}/build/m.json"')
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(2, injected)
    plot = nb.cells[3]
    plot.source = code
    plot.metadata["papermill"] = {"duration": 1.0}
    plot.outputs = [
        nbformat.v4.new_output("stream", text=f"saved to {root}/build/photo.jpg from {root.parent}/mirror\n")
    ]
    if image:
        plot.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}))
    nb.metadata["papermill"] = {"input_path": str(root / f"{name}.ipynb")}
    path = root / "build" / "executed" / f"{name}.full.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _report(root, names, **overrides):
    runs = [
        {
            "notebook": f"{name}.ipynb",
            "profile": "full",
            "executed": str(_executed_copy(root, name, **overrides)),
            "seconds": 42.0,
            "metrics": {"accuracy": 0.9},
            "error": None,
            "problems": [],
            "passed_checks": ["accuracy >= 0.8"],
            "date": "2026-11-29",
            "commit": "abc123",
        }
        for name in names
    ]
    meta = {"machine": "x86_64, 2 CPU cores, no GPU", "python": "3.11.7", "versions": {"keras": "3.15.1"}}
    path = root / "build" / "last_run.full.json"
    path.write_text(json.dumps({**meta, "profile": "full", "runs": runs}))
    return path


NAMES = ("notebooks/00_intro", "solutions/01_probe")


def test_the_edition_is_cleaned_and_says_how_it_was_made(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_ASSETS", str(tmp_path / "mirror"))
    root = _course(tmp_path)
    manifest = build_edition(_report(root, NAMES), root / "edition", root)
    nb = nbformat.read(root / "edition" / "notebooks" / "00_intro.ipynb", as_version=4)
    text = json.dumps(nb)
    assert str(tmp_path) not in text, "the machine's own paths are left out"
    assert "saved to build/photo.jpg from $COURSE_ASSETS" in nb.cells[3].outputs[0]["text"]
    assert "injected-parameters" not in text and "papermill" not in text
    assert nb.cells[1].source.startswith("> **Course edition.**") and "commit `abc123`" in nb.cells[1].source
    assert "measured on a 2-core CPU" in nb.cells[0].source, "the run-time line is the current one"
    assert any("image/png" in output.get("data", {}) for output in nb.cells[3].outputs)
    data = json.loads(manifest.read_text())
    assert [entry["notebook"] for entry in data["notebooks"]] == [f"{name}.ipynb" for name in NAMES]
    assert data["versions"] == {"keras": "3.15.1"} and data["commits"] == ["abc123"]
    assert check_edition(root / "edition", root) == []
    copies = {path: path.read_bytes() for path in (root / "edition").rglob("*") if path.is_file()}
    build_edition(root / "build" / "last_run.full.json", root / "edition", root)
    assert all(path.read_bytes() == data for path, data in copies.items()), (
        "a rebuild from the same run changes nothing"
    )


def test_a_notebook_changed_after_the_edition_makes_it_stale(tmp_path):
    root = _course(tmp_path)
    build_edition(_report(root, NAMES), root / "edition", root)
    lesson = root / "notebooks" / "00_intro.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nb.cells[1].source = 'PROFILE = "ci"'
    nbformat.write(nb, lesson)
    problems = check_edition(root / "edition", root)
    assert len(problems) == 1 and "notebooks/00_intro.ipynb has changed since the edition" in problems[0]
    with pytest.raises(EditionError, match="No full run of the current code of notebooks/00_intro.ipynb"):
        build_edition(root / "build" / "last_run.full.json", root / "edition", root)


def _change_code(root, name, code='PROFILE = "full"  # changed\nx = 2'):
    path = root / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = code
    nbformat.write(nb, path)


def test_changing_one_notebook_needs_a_full_run_of_that_notebook_only(tmp_path):
    root = _course(tmp_path)
    build_edition(_report(root, NAMES), root / "edition", root)
    kept_before = (root / "edition" / "solutions" / "01_probe.ipynb").read_bytes()
    _change_code(root, "notebooks/00_intro")
    (root / "build" / "last_run.full.json").unlink()  # build/ is not kept between machines
    report = _report(root, NAMES[:1])
    data = json.loads(report.read_text())
    data["runs"][0]["date"], data["python"] = "2026-12-01", "3.12.1"
    report.write_text(json.dumps(data))
    manifest = json.loads(build_edition(report, root / "edition", root).read_text())
    assert (root / "edition" / "solutions" / "01_probe.ipynb").read_bytes() == kept_before, "kept as committed"
    lesson = nbformat.read(root / "edition" / "notebooks" / "00_intro.ipynb", as_version=4)
    assert "on 2026-12-01" in lesson.cells[1].source and "Python 3.12.1" in lesson.cells[1].source
    by_name = {entry["notebook"]: entry for entry in manifest["notebooks"]}
    assert by_name["notebooks/00_intro.ipynb"]["python"] == "3.12.1"
    assert by_name["solutions/01_probe.ipynb"]["python"] == "3.11.7", "each copy keeps its own provenance"
    assert manifest["dates"] == ["2026-11-29", "2026-12-01"] and manifest["python"] == "3.11.7 / 3.12.1"
    assert check_edition(root / "edition", root) == []


def test_without_a_report_every_current_copy_is_kept_and_judged_by_the_checks_as_they_are_now(tmp_path):
    root = _course(tmp_path)
    report = _report(root, NAMES)
    build_edition(report, root / "edition", root)
    report.unlink()
    build_edition(report, root / "edition", root)  # a thresholds edit, say: nothing to run again
    assert check_edition(root / "edition", root) == []
    thresholds = root / "tests" / "thresholds.toml"
    thresholds.write_text(thresholds.read_text().replace("accuracy >= 0.8", "accuracy >= 0.95"))
    with pytest.raises(EditionError, match="full run fails its checks: accuracy >= 0.95"):
        build_edition(report, root / "edition", root)


def test_an_incomplete_or_failed_run_is_refused_with_the_command_to_run(tmp_path):
    root = _course(tmp_path)
    with pytest.raises(
        EditionError, match="current code of solutions/01_probe.ipynb.*run --profile full solutions/01_probe"
    ):
        build_edition(_report(root, NAMES[:1]), root / "edition", root)
    report = _report(root, NAMES)
    data = json.loads(report.read_text())
    data["runs"][0]["error"] = "ValueError"
    report.write_text(json.dumps(data))
    with pytest.raises(EditionError, match="failed runs of.*notebooks/00_intro"):
        build_edition(report, root / "edition", root)
    assert not (root / "edition").exists(), "nothing is written when the run does not qualify"


def test_a_run_that_fails_or_lacks_its_full_checks_is_refused(tmp_path):
    root = _course(tmp_path)
    report = _report(root, NAMES)
    data = json.loads(report.read_text())
    data["runs"][1]["metrics"] = {"accuracy": 0.5}
    report.write_text(json.dumps(data))
    with pytest.raises(EditionError, match="solutions/01_probe.ipynb's full run fails its checks: accuracy >= 0.8"):
        build_edition(report, root / "edition", root)
    thresholds = root / "tests" / "thresholds.toml"
    thresholds.write_text(thresholds.read_text().split('["solutions/01_probe".full]')[0])
    with pytest.raises(EditionError, match=r'no checks in the full profile: add a \["solutions/01_probe".full\]'):
        build_edition(_report(root, NAMES), root / "edition", root)


def test_a_plotting_cell_without_its_figure_is_refused(tmp_path):
    root = _course(tmp_path)
    with pytest.raises(EditionError, match="misses figures"):
        build_edition(_report(root, NAMES, image=False), root / "edition", root)


def test_code_digest_ignores_markdown_and_the_injected_parameters(tmp_path):
    root = _course(tmp_path)
    executed = _executed_copy(root, "notebooks/00_intro")
    assert code_digest(executed) == code_digest(root / "notebooks" / "00_intro.ipynb")


def test_the_committed_edition_holds_every_lesson_and_solution_as_they_are_now():
    """The edition in the repository: every notebook run in full, current, with its figures, small."""
    from course_utils.tooling.edition import EDITION_DIR

    problems = check_edition()
    assert not problems, "\n".join(problems)
    manifest = json.loads((EDITION_DIR / MANIFEST).read_text())
    assert len(manifest["dates"]) >= 1 and manifest["versions"], "the edition records when and with what it ran"


def test_a_damaged_manifest_is_named_with_the_fix_not_a_traceback(tmp_path):
    from course_utils.tooling.thresholds import ThresholdError, Thresholds

    root = _course(tmp_path)
    build_edition(_report(root, NAMES), root / "edition", root)
    (root / "edition" / MANIFEST).write_text('{"notebooks": [')
    assert "is damaged" in check_edition(root / "edition", root)[0]
    with pytest.raises(EditionError, match="damaged.*git checkout"):
        build_edition(root / "build" / "last_run.full.json", root / "edition", root)
    with pytest.raises(ThresholdError, match="manifest .* is damaged.*git checkout"):
        Thresholds.load(root / "tests" / "thresholds.toml", root / "edition" / MANIFEST)


def _edition_and_lesson(tmp_path):
    """A course with its edition built from a full run; the report, and the first lesson's path and cells."""
    root = _course(tmp_path)
    report = _report(root, NAMES)
    build_edition(report, root / "edition", root)
    path = root / "notebooks" / "00_intro.ipynb"
    return root, report, path, nbformat.read(path, as_version=4)


def test_a_correction_of_the_prose_reaches_the_edition_without_a_new_run(tmp_path):
    root, report, path, nb = _edition_and_lesson(tmp_path)
    nb.cells[0].source = "# notebooks/00_intro\n\nWhy it matters, said better."
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("A new paragraph before the plot."))
    nbformat.write(nb, path)
    report.unlink()  # no new run: the committed copy is kept, its prose follows the notebook
    build_edition(report, root / "edition", root)
    copy = nbformat.read(root / "edition" / "notebooks" / "00_intro.ipynb", as_version=4)
    assert copy.cells[0].source.startswith("# notebooks/00_intro\n\nWhy it matters, said better.")
    assert copy.cells[1].id == "course-edition-note"
    assert [c.source for c in copy.cells[2:]] == [
        'PROFILE = "full"',
        "A new paragraph before the plot.",
        "show_images(photos)",
    ]
    assert copy.cells[4].outputs[-1]["data"]["image/png"] == "iVBORw0KGgo=", "the run's outputs stay on their code"
    assert check_edition(root / "edition", root) == []


def test_a_comment_added_to_the_code_reaches_the_edition_without_a_new_run(tmp_path):
    root, report, path, nb = _edition_and_lesson(tmp_path)
    nb.cells[-1].source = "# on Keras 3.16 and later this shows more\nshow_images(photos)  # the grid"
    nbformat.write(nb, path)
    assert check_edition(root / "edition", root) == [], "a comment is not a change of what ran"
    report.unlink()
    build_edition(report, root / "edition", root)
    copy = nbformat.read(root / "edition" / "notebooks" / "00_intro.ipynb", as_version=4)
    assert copy.cells[-1].source == "# on Keras 3.16 and later this shows more\nshow_images(photos)  # the grid"
    assert copy.cells[-1].outputs[-1]["data"]["image/png"] == "iVBORw0KGgo=", "the run's outputs stay on their code"
    nb.cells[-1].source = "show_images(photos[:4])"  # code, not a comment: stale
    nbformat.write(nb, path)
    assert "has changed since the edition" in check_edition(root / "edition", root)[0]
