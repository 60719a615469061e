"""Every lesson, solution and exercise imports only from the top level of course_utils, and every
name it imports exists there (a renamed helper fails here in seconds, not in a notebook run)."""

from __future__ import annotations

import ast
import importlib
import importlib.util

import nbformat
import pytest

from course_utils.tooling.paths import EXERCISES, course_notebooks

NOTEBOOKS = course_notebooks() + sorted(EXERCISES.glob("*.ipynb"))
MACHINERY = ("course_utils.assets", "course_utils.tooling")


def _imports(path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import of course_utils in the notebook's code cells."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
                found.append((node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found += [(alias.name, []) for alias in node.names if alias.name.startswith("course_utils")]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebook_imports_exist_at_the_top_level(path):
    for module, names in _imports(path):
        assert not module.startswith(MACHINERY), f"{path.name} imports {module}: lessons use the top level only"
        assert module.count(".") <= 1, f"{path.name} imports {module}: lessons use the top level only"
        imported = importlib.import_module(module)
        for name in names:
            is_submodule = hasattr(imported, "__path__") and importlib.util.find_spec(f"{module}.{name}")
            assert hasattr(imported, name) or is_submodule, (
                f"{path.name}: `from {module} import {name}`, but {module} has no {name}"
            )
