"""The course website: laid out from the edition, built offline, and every page read in headless Chromium.

The build and browser test need the ``site`` extra and Debian's chromium + chromium-driver. Where they
are missing the test is skipped with what to install — except in CI (``CI`` set), where .ci/run
installs them and a missing piece is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import shutil

import nbformat
import pytest

from course_utils.tooling.edition import EDITION_DIR
from course_utils.tooling.paths import ROOT, course_notebooks
from course_utils.tooling.site import (
    SITE_DIR,
    build_site,
    lesson_list,
    missing_packages,
    prepare_source,
    readme_section,
)


def test_the_source_has_every_lesson_exercise_solution_and_the_results(tmp_path):
    source = prepare_source(tmp_path / "source")
    index = (source / "index.md").read_text()
    for path in course_notebooks() + sorted((ROOT / "exercises").glob("*.ipynb")):
        page = path.relative_to(ROOT).with_suffix("").as_posix()
        assert f"\n{page}\n" in index, f"{page} is not in the site's navigation"
        assert (source / f"{page}.ipynb").is_file()
    assert 'nb_execution_mode = "off"' in (source / "conf.py").read_text(), "the site never executes a notebook"
    assert (source / "results.md").read_text().startswith("# Measured results")
    solution = nbformat.read(source / "solutions" / "05_two_phase_fine_tuning.ipynb", as_version=4)
    assert solution.cells[0].source.startswith("# Solution 05")


def test_readme_sections_are_found_by_heading_and_a_missing_one_is_named():
    readme = "# T\n\nIntro.\n\n## Lessons\n\nrows\n\n## Measured results\n\nnumbers\n"
    assert readme_section(readme, "Lessons") == "rows"
    assert readme_section(readme, "Measured results") == "numbers"
    with pytest.raises(Exception, match="no '## Layout' section"):
        readme_section(readme, "Layout")


def test_the_readme_lesson_table_becomes_a_list_of_titled_links():
    table = (
        "| # | notebook | what you learn | status |\n|---|---|---|---|\n"
        "| 05 | [`notebooks/05_x.ipynb`](notebooks/05_x.ipynb) | the full recipe | ✅ |\n\nAfter the table."
    )
    listed = lesson_list(table, {"notebooks/05_x.ipynb": "05 · Two-phase fine-tuning"})
    assert listed == "- [05 · Two-phase fine-tuning](notebooks/05_x.ipynb): the full recipe\n\nAfter the table."


def _site_tools_or_skip() -> None:
    missing = missing_packages() + [tool for tool in ("chromium", "chromedriver") if shutil.which(tool) is None]
    if missing:
        message = (
            f'the site test needs {", ".join(missing)}: pip install -e ".[site]" and '
            "apt-get install chromium chromium-driver"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the site test; {message}")
        pytest.skip(message)


@pytest.mark.site
def test_the_site_builds_offline_and_every_page_reads_in_chromium():
    _site_tools_or_skip()
    from course_utils.tooling.site_check import LEARNING_CURVE, check_site

    index = build_site(SITE_DIR, EDITION_DIR)
    html = index.parent
    expected = ["index.html", "results.html"] + [
        path.relative_to(ROOT).with_suffix(".html").as_posix()
        for path in course_notebooks() + sorted((ROOT / "exercises").glob("*.ipynb"))
    ]
    screenshot = SITE_DIR / "screenshots" / "05_learning_curve.png"
    seen, problems = check_site(html, expected, screenshot)
    assert not problems, "\n".join(problems)
    images = {facts.path: len(facts.images) for facts in seen}
    for path in course_notebooks():  # every executed notebook with a plotting cell shows its figures
        page = path.relative_to(ROOT).with_suffix(".html").as_posix()
        executed = nbformat.read(EDITION_DIR / path.relative_to(ROOT), as_version=4)
        figures = sum(
            "image/png" in output.get("data", {}) for cell in executed.cells for output in cell.get("outputs", [])
        )
        assert images[page] >= figures, f"{page} shows {images[page]} images, its notebook has {figures}"
    assert images[LEARNING_CURVE[0]] >= 1
    assert screenshot.stat().st_size > 20_000, "the screenshot of lesson 05's learning curve is empty"
    print(f"\nsite: {len(seen)} pages read in Chromium; screenshot kept at {screenshot}")


def test_the_browser_check_names_broken_links_missing_anchors_unloaded_images_and_remote_fetches(tmp_path):
    from course_utils.tooling.site_check import PageFacts, page_problems

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "05.html").write_text('<h2 id="phase-2">Phase 2</h2>')
    base = "http://127.0.0.1:8000/"
    facts = PageFacts(
        path="index.html",
        title="Course",
        images=[{"src": base + "_images/a.png", "loaded": True}, {"src": base + "_images/b.png", "loaded": False}],
        links=[
            base + "notebooks/05.html#phase-2",  # sound
            base + "notebooks/05.html#phase-3",  # no such anchor
            base + "notebooks/06.html",  # no such page
            "https://keras.io/guides/transfer_learning/",  # external: a reader follows it, the page does not fetch it
        ],
        resources=[base + "_static/theme.css", "https://cdn.example.org/mathjax.js"],
    )
    problems = page_problems(facts, base, tmp_path)
    assert len(problems) == 4, problems
    assert "image http://127.0.0.1:8000/_images/b.png did not load" in problems[0]
    assert "cdn.example.org" in problems[1] and "read offline" in problems[1]
    assert "has no anchor #phase-3" in problems[2]
    assert "leads nowhere (no notebooks/06.html)" in problems[3]


def _no_sphinx_run(monkeypatch):
    """build_site without running Sphinx: the call is recorded and 'succeeds'."""
    import subprocess

    from course_utils.tooling import site

    calls = []
    monkeypatch.setattr(site, "missing_packages", lambda: [])
    monkeypatch.setattr(
        site.subprocess, "run", lambda command, **_: calls.append(command) or subprocess.CompletedProcess(command, 0)
    )
    return calls


def test_a_folder_the_course_did_not_make_is_refused_and_left_alone(tmp_path, monkeypatch):
    from course_utils.tooling.site import SiteError

    calls = _no_sphinx_run(monkeypatch)
    docs = tmp_path / "docs"
    (docs / "source").mkdir(parents=True)
    (docs / "source" / "intro.md").write_text("# My own notes\n")
    with pytest.raises(SiteError) as error:
        build_site(docs)
    assert (docs / "source" / "intro.md").read_text() == "# My own notes\n", "the user's files must survive"
    assert str(docs) in str(error.value) and "empty" in str(error.value) and not calls


def test_the_sites_own_folder_is_built_again_and_a_new_one_is_marked(tmp_path, monkeypatch):
    calls = _no_sphinx_run(monkeypatch)
    out = tmp_path / "site"
    index = build_site(out)
    assert index == out / "html" / "index.html" and (out / "source" / "conf.py").is_file() and len(calls) == 1
    (out / "source" / "stale.md").write_text("from an older build")
    build_site(out)  # the course made it: rebuilt, emptied first
    assert not (out / "source" / "stale.md").exists() and len(calls) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    build_site(empty)  # an empty folder is fine too
    assert (empty / "source" / "conf.py").is_file()


def test_the_serve_hint_quotes_the_folder(tmp_path, monkeypatch, capsys):
    import shlex

    from course_utils.tooling import cli, site

    index = tmp_path / "my site; rm -rf x" / "html" / "index.html"
    monkeypatch.setattr(site, "build_site", lambda out: index)
    assert cli.main(["site", "build", "--out", str(index.parents[1])]) == 0
    command = capsys.readouterr().out.split("(or: ", 1)[1].rsplit(")", 1)[0]
    assert shlex.split(command)[-2:] == ["-d", str(index.parent)], command
