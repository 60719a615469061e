"""The course edition: every lesson and solution executed in ``full``, outputs and figures kept.

Learners' notebooks are committed without outputs.  The edition (``edition/``) is what a reader
sees without running anything: the executed copies of one full run, cleaned of machine-specific
metadata, each opening with a note of when, on what and with which versions it was run.

- ``python -m course_utils edition build`` makes it one notebook at a time: each notebook's run comes
  from the last full run report (``build/last_run.full.json`` and the executed copies beside it) when
  that holds a passing run of its current code, and otherwise its committed copy is kept if its code
  still matches, so a change to one lesson needs a full run of that lesson only;
- ``python -m course_utils edition check`` (and ``tests/test_edition.py``) fails when the edition
  is incomplete, stale (a notebook's code changed since it was run), shows an error, misses a
  figure, or has grown too large to keep in the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from .figures import missing_figures
from .notebook_cells import INJECTED, code_sources, first_markdown_index, normalized_code
from .paths import REPORT_DIR, ROOT, THRESHOLDS_FILE, course_notebooks, notebook_key
from .thresholds import Thresholds
from .timings import duration_text, timing_line, with_timing

EDITION_DIR = ROOT / "edition"
MANIFEST = "edition.json"
#: The whole edition stays small enough to clone with the course (the issue allows tens of MB).
MAX_BYTES = 25 * 1024 * 1024
#: What each entry of the manifest says about where and with what its notebook ran.
PROVENANCE = ("machine", "python", "versions")
ENTRY_FIELDS = ("notebook", "date", "commit", "seconds", *PROVENANCE, "checks_passed", "metrics", "code_sha256")
#: The id of the note each edition copy carries after its title.
EDITION_NOTE_ID = "course-edition-note"
#: Cell metadata written by papermill and the kernel: timestamps and local state, not content.
_VOLATILE_CELL_METADATA = ("papermill", "execution")


class EditionError(RuntimeError):
    """The edition cannot be built from what the last full run left, or does not match the course."""


def code_digest(notebook: str | Path) -> str:
    """A hash of the code a notebook runs: its code cells in order, comments and docstrings left out (as the
    negative controls' fingerprint does), and papermill's injected parameters too. A comment added to a code
    cell changes no output, so it reaches the edition without a new run, like a correction of the Markdown."""
    digest = hashlib.sha256()
    for source in code_sources(nbformat.read(notebook, as_version=4)):
        digest.update(normalized_code(source).encode() + b"\0")
    return digest.hexdigest()


def read_manifest(path: Path) -> dict[str, Any]:
    """The edition's manifest; :class:`EditionError` naming the file and the fix when it is damaged."""
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
        manifest["notebooks"][0]["notebook"]  # noqa: B018 - the shape every reader relies on
        return manifest
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise EditionError(
            f"The edition's manifest {path} is damaged ({error}): restore it with git checkout -- {path}"
        ) from None


def _banner(name: str, run: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    meta = {**meta, **_provenance(run, meta)}
    versions = meta.get("versions", {})
    made_with = ", ".join(
        f"{label} {versions[package]}"
        for package, label in (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("numpy", "NumPy"))
        if package in versions
    )
    commit = f" (commit `{run['commit']}`)" if run.get("commit") else ""
    return (
        f"> **Course edition.** This copy of `{name}` was executed in the `full` profile on {run['date']}"
        f"{commit}, on {meta['machine']}, with Python {meta['python']}"
        f"{', ' + made_with if made_with else ''}; the run took {duration_text(run['seconds'])}. "
        f"Every output and figure below is that run's. To run it yourself, open `{name}` in your clone of "
        "the course, where it is committed without outputs."
    )


def _cleaned(nb: nbformat.NotebookNode, root: Path) -> nbformat.NotebookNode:
    """``nb`` without papermill's injected cell, volatile metadata and the machine's own paths."""
    nb.cells = [cell for cell in nb.cells if INJECTED not in cell.metadata.get("tags", [])]
    nb.metadata.pop("papermill", None)
    # The clone's own paths become relative; the asset mirror's becomes the setting that names it.
    local = [(f"{root.resolve()}/", "")]
    if os.environ.get("COURSE_ASSETS"):
        local.append((str(Path(os.environ["COURSE_ASSETS"]).resolve()), "$COURSE_ASSETS"))

    def general(text: str) -> str:
        for path, shown in local:
            text = text.replace(path, shown)
        return text

    for cell in nb.cells:
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = general(output["text"])
            if "text/plain" in output.get("data", {}):
                output["data"]["text/plain"] = general(output["data"]["text/plain"])
    return nb


def with_current_prose(executed: nbformat.NotebookNode, current: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The ``current`` notebook's cells, each code cell with the outputs of its run in ``executed``.

    The code of the two is the same (the code digest says so), so outputs move over cell by cell; the
    Markdown and the code cells' text, comments included, are the notebook's as they are now: a correction of the
    prose or of a comment needs no new run.  Cells that
    exist only in the executed copy (the edition's note) are kept in place after the title.
    """
    ran = [
        cell for cell in executed.cells if cell.cell_type == "code" and INJECTED not in cell.metadata.get("tags", [])
    ]
    code = [cell for cell in current.cells if cell.cell_type == "code"]
    if [normalized_code(cell.source) for cell in ran] != [normalized_code(cell.source) for cell in code]:
        raise EditionError("with_current_prose: the executed copy ran other code than the notebook holds")
    outputs = iter(ran)
    cells = []
    for cell in current.cells:
        cell = nbformat.from_dict(dict(cell))
        if cell.cell_type == "code":
            run = next(outputs)
            cell.outputs, cell.execution_count = run.outputs, run.execution_count
            cell.metadata = run.metadata
        cells.append(cell)
    notes = [cell for cell in executed.cells if cell.get("id") == EDITION_NOTE_ID]
    first = first_markdown_index(nbformat.v4.new_notebook(cells=cells))
    cells[first + 1 : first + 1] = notes
    updated = nbformat.from_dict(dict(executed))
    updated.cells = cells
    return updated


def _fresh_runs(report: Path, root: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    """The report's metadata, its runs of the notebooks' current code that left an executed copy, and its failures.

    No report is no fresh run (every notebook may still be kept from the committed edition).
    """
    from .reports import load_report

    if not report.is_file():
        return {}, {}, []
    data = load_report(report)
    runs, failed = {}, []
    for row in data["runs"]:
        name, executed = row["notebook"], Path(row["executed"])
        if not (root / name).is_file() or not executed.is_file() or code_digest(executed) != code_digest(root / name):
            continue  # an older run, or one whose copy another machine kept: not this code's
        if row["error"] or row["problems"]:
            failed.append(name)
        else:
            runs[name] = row
    return data, runs, failed


def _provenance(run: Mapping[str, Any], meta: Mapping[str, Any]) -> dict[str, Any]:
    """Where and with what ``run`` ran: its own record, else (reports older than it) the report's."""
    own = {"machine": run.get("machine"), "python": run.get("python_version"), "versions": run.get("versions")}
    return {field: own[field] or meta.get(field) for field in PROVENANCE if own[field] or field in meta}


def _kept_copies(dest: Path, root: Path) -> dict[str, tuple[dict[str, Any], nbformat.NotebookNode]]:
    """The committed edition's entries and copies whose code still matches the notebook in the course."""
    manifest_path = dest / MANIFEST
    if not manifest_path.is_file():
        return {}
    manifest = read_manifest(manifest_path)
    kept = {}
    for entry in manifest["notebooks"]:
        name, copy = entry["notebook"], dest / entry["notebook"]
        if (root / name).is_file() and copy.is_file() and code_digest(copy) == code_digest(root / name):
            provenance = {key: entry.get(key, manifest.get(key)) for key in PROVENANCE}  # older editions: one for all
            kept[name] = ({**entry, **provenance}, nbformat.read(copy, as_version=4))
    return kept


def _judged(thresholds: Thresholds, name: str, run: Mapping[str, Any], root: Path) -> list[str]:
    """The run's full checks as they stand in the thresholds file now, each passed; else :class:`EditionError`."""
    key = notebook_key(root / name, root)
    section = thresholds.for_notebook(key, "full", keras_version=run.get("versions", {}).get("keras"))
    if section is None or not section.checks:
        raise EditionError(
            f'{name} has no checks in the full profile: add a ["{key}".full] section to '
            f"{THRESHOLDS_FILE.name} from its measured values ({run['metrics']}), so the edition claims nothing unchecked."
        )
    verdicts = [check.evaluate(run["metrics"]) for check in section.checks]
    if failed := [text for ok, text in verdicts if not ok]:
        raise EditionError(
            f"{name}'s full run fails its checks: {'; '.join(failed)}. Run it again "
            f"(python -m course_utils run --profile full {name}) or correct the check, then build again."
        )
    return [text for _, text in verdicts]


def build_edition(
    report: Path = REPORT_DIR / "last_run.full.json", dest: Path = EDITION_DIR, root: Path = ROOT
) -> Path:
    """Write the edition into ``dest``, one notebook at a time; returns the manifest's path.

    Each lesson and solution comes from the full run report when the report holds a passing run of
    its current code, else it keeps its committed copy in ``dest`` if that copy's code still matches the
    notebook: changing one lesson means running that lesson in full, not all of them.  Each copy keeps
    its own note of when, where and with what it ran.  Refuses (:class:`EditionError`) when a notebook
    has neither, when the report's run of its current code failed, when its metrics fail (or have no)
    checks in the full section of the thresholds file as it is now, or when a plotting cell shows no
    figure, so the edition is always one complete, checked, current set.
    """
    meta, fresh, failed = _fresh_runs(report, root)
    kept = _kept_copies(dest, root)
    expected = [path.relative_to(root).as_posix() for path in course_notebooks(root)]
    if failed:
        raise EditionError(
            f"The full run report has failed runs of {' '.join(failed)}: fix them, run them again "
            f"(python -m course_utils run --profile full {' '.join(failed)}) and build again."
        )
    if missing := [name for name in expected if name not in fresh and name not in kept]:
        raise EditionError(
            f"No full run of the current code of {' '.join(missing)} (in {report.relative_to(root)} or the edition): "
            f"run them (python -m course_utils run --profile full {' '.join(missing)}) and build again."
        )
    thresholds = Thresholds.load(root / THRESHOLDS_FILE.relative_to(ROOT))
    entries = []
    staged: dict[str, nbformat.NotebookNode] = {}
    for name in expected:
        if name in fresh:
            run = fresh[name]
            executed = Path(run["executed"])
            if problems := missing_figures(executed):
                raise EditionError(f"{name}'s full run misses figures: {'; '.join(problems)}")
            nb = _cleaned(nbformat.read(executed, as_version=4), root)
            first = first_markdown_index(nb)
            # A fixed id: building the edition again from the same run writes the same files.
            nb.cells.insert(first + 1, nbformat.v4.new_markdown_cell(_banner(name, run, meta), id=EDITION_NOTE_ID))
            nb.metadata["course_edition"] = {"profile": "full", "date": run["date"], "commit": run.get("commit", "")}
            entry = {
                "notebook": name,
                "date": run["date"],
                "commit": run.get("commit", ""),
                "seconds": round(run["seconds"], 1),
                "metrics": run["metrics"],
                **_provenance(run, meta),
            }
        else:
            entry, nb = kept[name]
        nb = with_current_prose(nb, nbformat.read(root / name, as_version=4))
        entry["checks_passed"] = _judged(thresholds, name, entry, root)
        entry["code_sha256"] = code_digest(root / name)
        staged[name] = nb
        entries.append(entry)
    # The full times are this edition's runs (stated once: the thresholds file reads them from here).
    timed = thresholds.with_full_times({notebook_key(root / e["notebook"], root): e["seconds"] for e in entries})
    for name, nb in staged.items():
        first = first_markdown_index(nb)
        nb.cells[first].source = with_timing(
            nb.cells[first].source, timing_line(timed, notebook_key(root / name, root))
        )
    for folder in {Path(name).parts[0] for name in staged}:
        shutil.rmtree(dest / folder, ignore_errors=True)
    for name, nb in staged.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest / name)
    manifest = {
        "profile": "full",
        "dates": sorted({entry["date"] for entry in entries}),
        "commits": sorted({entry["commit"] for entry in entries if entry["commit"]}),
        **_summary(entries),
        "total_seconds": round(sum(entry["seconds"] for entry in entries), 1),
        "notebooks": [{field: entry[field] for field in ENTRY_FIELDS if field in entry} for entry in entries],
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    (dest / "README.md").write_text(edition_readme(manifest))
    return dest / MANIFEST


def _summary(entries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The machines, Pythons and package versions of the entries, each value once (``" / "`` between two)."""

    def joined(values) -> str:
        return " / ".join(sorted({str(value) for value in values if value}))

    packages = sorted({package for entry in entries for package in entry.get("versions", {})})
    return {
        "machine": joined(entry.get("machine") for entry in entries),
        "python": joined(entry.get("python") for entry in entries),
        "versions": {
            package: joined(entry.get("versions", {}).get(package) for entry in entries) for package in packages
        },
    }


def edition_readme(manifest: Mapping[str, Any]) -> str:
    """The edition's README: what it is, how it was made, and one row per notebook."""
    versions = ", ".join(f"{name} {version}" for name, version in manifest["versions"].items())
    lines = [
        "# Course edition: every lesson and solution, executed",
        "",
        "Generated by `python -m course_utils edition build`; do not edit by hand.",
        "",
        "These are the course's notebooks as one full run left them, outputs and figures included, to read "
        "without running anything. The notebooks to run yourself are in `notebooks/`, `solutions/` and "
        "`exercises/` at the top of the course, committed without outputs. "
        "`python -m course_utils site build` turns this folder into a website.",
        "",
        f"- Run: profile `full`, {' and '.join(manifest['dates'])}, commit {', '.join(manifest['commits']) or 'unknown'}",
        f"- Machine: {manifest['machine']}; Python {manifest['python']}",
        f"- Packages: {versions or 'not recorded'}",
        f"- Total run time: {manifest['total_seconds'] / 60:.0f} min",
        "",
        "| notebook | run time | checks passed |",
        "|---|---|---|",
    ]
    for entry in manifest["notebooks"]:
        lines.append(
            f"| [{entry['notebook']}]({entry['notebook']}) | {duration_text(entry['seconds'])} | {len(entry['checks_passed'])} |"
        )
    return "\n".join(lines) + "\n"


def results_markdown(manifest: Mapping[str, Any]) -> str:
    """The README's full results: one row per notebook of the edition, with its own date, time and metrics."""
    lines = [
        f"The edition's runs, profile `full`: {' and '.join(manifest['dates'])}, {manifest['machine']}, "
        f"Python {manifest['python']}, commit {', '.join(manifest['commits']) or 'unknown'}; "
        f"total {manifest['total_seconds'] / 60:.1f} min.",
        "",
        "| notebook | run on | wall time | checks passed | measured |",
        "|---|---|---|---|---|",
    ]
    for entry in manifest["notebooks"]:
        shown = ", ".join(f"{name} {value:.3g}" for name, value in sorted(entry["metrics"].items()))
        lines.append(
            f"| `{entry['notebook']}` | {entry['date']} | {entry['seconds']:.0f} s | {len(entry['checks_passed'])} | {shown} |"
        )
    return "\n".join(lines)


def edition_bytes(dest: Path = EDITION_DIR) -> int:
    """What the edition takes on disk, every file counted."""
    return sum(path.stat().st_size for path in dest.rglob("*") if path.is_file())


def check_edition(dest: Path = EDITION_DIR, root: Path = ROOT) -> list[str]:
    """Every way the edition falls short of the course as it is now; an empty list when it is sound."""
    manifest_path = dest / MANIFEST
    if not manifest_path.is_file():
        return [f"No edition at {dest}: run the full profile, then python -m course_utils edition build."]
    try:
        manifest = read_manifest(manifest_path)
    except EditionError as error:
        return [str(error)]
    listed = {entry["notebook"]: entry for entry in manifest["notebooks"]}
    problems = []
    for path in course_notebooks(root):
        name = path.relative_to(root).as_posix()
        copy = dest / name
        if name not in listed or not copy.is_file():
            problems.append(f"{name} is not in the edition: run it in full and build the edition again.")
            continue
        if code_digest(copy) != code_digest(path):
            problems.append(
                f"{name} has changed since the edition ran it ({listed[name]['date']}): "
                f"python -m course_utils run --profile full {name}, then edition build."
            )
        nb = nbformat.read(copy, as_version=4)
        errors = [i for i, cell in enumerate(nb.cells) for o in cell.get("outputs", []) if o.output_type == "error"]
        if errors:
            problems.append(f"{name}: the edition shows an error in cell(s) {errors}.")
        problems += [f"{name}: {problem}" for problem in missing_figures(copy)]
    size = edition_bytes(dest)
    if size > MAX_BYTES:
        problems.append(
            f"The edition takes {size / 2**20:.1f} MB, over {MAX_BYTES / 2**20:.0f} MB: draw photo grids smaller."
        )
    return problems
