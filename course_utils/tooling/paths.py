"""Where the course's own files are: the clone that holds ``notebooks/`` and ``tests/thresholds.toml``.

The tooling works on a clone of the course.  With the README's editable install that is the folder
above the package; with a plain ``pip install`` it is the current folder or one of its parents.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parents[2]


def is_course_root(path: Path) -> bool:
    """Whether ``path`` is a clone of the course (it has ``notebooks/`` and ``tests/thresholds.toml``)."""
    return (path / "notebooks").is_dir() and (path / "tests" / "thresholds.toml").is_file()


def find_root() -> Path:
    """The course clone: the package's parent folder, else the current folder or a parent of it.

    Falls back to the package's parent, so that importing never fails; :func:`require_root` says
    what is wrong when the tooling needs the clone and there is none.
    """
    cwd = Path.cwd()
    for candidate in (PACKAGE_PARENT, cwd, *cwd.parents):
        if is_course_root(candidate):
            return candidate
    return PACKAGE_PARENT


ROOT = find_root()
NOTEBOOK_FOLDERS = ("notebooks", "solutions")  # what the harness runs, in this order
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
THRESHOLDS_FILE = ROOT / "tests" / "thresholds.toml"
PYPROJECT = ROOT / "pyproject.toml"
REPORT_DIR = ROOT / "build"
OUT_DIR = REPORT_DIR / "executed"


class CourseNotFound(RuntimeError):
    """The tooling was asked to work on the course's files, and there is no clone of the course here."""


def require_root(root: Path = ROOT) -> Path:
    """``root`` if it is a clone of the course; otherwise :class:`CourseNotFound` saying what to do."""
    if not is_course_root(root):
        raise CourseNotFound(
            f"No clone of the course found: {root} has no notebooks/ and tests/thresholds.toml, and neither "
            f"has the current folder ({Path.cwd()}) or any folder above it. course_utils is installed from "
            f"{PACKAGE_PARENT}. Run this command from inside the course's folder (a git clone), or install "
            "that clone with the README's install command (pip install -e .)."
        )
    return root


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """Every lesson and solution notebook, in course order."""
    return [path for folder in NOTEBOOK_FOLDERS for path in sorted((root / folder).glob("*.ipynb"))]


def notebook_key(notebook: Path, root: Path = ROOT) -> str:
    """``notebooks/05_two_phase_fine_tuning`` for ``<root>/notebooks/05_two_phase_fine_tuning.ipynb``.

    A path outside the course, or one that is not a notebook file, raises :class:`CourseNotFound`.
    """
    path, root = Path(notebook).resolve(), Path(root).resolve()
    if path.suffix != ".ipynb" or not path.is_file():
        raise CourseNotFound(
            f"{notebook} is not a notebook file: give a path such as notebooks/05_two_phase_fine_tuning.ipynb"
        )
    try:
        return path.relative_to(root).with_suffix("").as_posix()
    except ValueError:
        raise CourseNotFound(
            f"{notebook} is outside the course ({root}): the harness runs the course's own "
            "notebooks, whose thresholds are in tests/thresholds.toml."
        ) from None
