"""What a run was made with: the course's commit (marked when its code has uncommitted changes) and versions."""

from __future__ import annotations

import subprocess

from course_utils.tooling.provenance import course_commit, package_versions


def _git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_the_commit_is_named_and_marked_when_the_course_code_differs_from_it(tmp_path):
    (tmp_path / "notebooks").mkdir()
    lesson = tmp_path / "notebooks" / "00.ipynb"
    lesson.write_text("{}")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "lesson")
    commit = course_commit(tmp_path)
    assert len(commit) == 12 and "+" not in commit
    (tmp_path / "notes.txt").write_text("not course code")
    assert course_commit(tmp_path) == commit, "files outside the course's code do not count"
    lesson.write_text('{"changed": true}')
    assert course_commit(tmp_path) == commit + "+changes"


def test_outside_a_git_clone_no_commit_is_claimed(tmp_path):
    assert course_commit(tmp_path) == ""


def test_versions_of_the_packages_that_compute_and_of_missing_ones():
    versions = package_versions(("numpy", "no-such-package-here"))
    assert versions["numpy"][0].isdigit() and versions["no-such-package-here"] == "not installed"
