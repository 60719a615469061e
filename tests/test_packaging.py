"""The two routes of installation agree, and CI runs the README's own commands."""

from __future__ import annotations

import re
import sys

import yaml

from course_utils.tooling.paths import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    conda_python = next(item for item in env["dependencies"] if isinstance(item, str) and item.startswith("python"))
    assert {_normalise(r) for r in pip_section if not r.startswith("-e")} == {
        _normalise(r) for r in project["dependencies"]
    }
    assert "-e ." in pip_section, "environment.yml must install course_utils itself"
    assert conda_python.startswith("python=3.1")


def _readme_block(marker: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert match, f"README.md needs a code block after <!-- {marker} -->"
    return [line.strip() for line in match.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_ci_runs_the_readme_install_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    ci_lines = {line.strip() for line in ci}
    for marker in ("install-command", "site-command", "test-command"):
        for line in _readme_block(marker):
            assert line in ci_lines, f".ci/run must run the README's {marker} line verbatim: {line}"
