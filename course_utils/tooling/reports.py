"""Run reports: ``build/last_run.<profile>.{json,md}`` and the README's measured-results blocks."""

from __future__ import annotations

import json
import os
import platform
import secrets
import sys
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from ..profiles import PROFILES
from .harness import NotebookRun
from .paths import REPORT_DIR, ROOT
from .provenance import course_commit, machine_description, package_versions


class ReportError(ValueError):
    """A run report cannot be read (missing, cut short, edited, not a report); the message names the file and
    the fix.  ``path`` is the file and ``reason`` what is wrong with it."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = Path(path), reason
        rerun = _rerun_command(self.path)
        if self.path.is_file():
            fix = f"delete it (or move it away) and run the notebooks again ({rerun})"
        else:
            fix = f"write one with {rerun}"
        super().__init__(f"The run report {self.path} {reason}: {fix}.")


def report_paths(profile: str, directory: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Where the last run of ``profile`` is reported: (JSON, Markdown)."""
    return directory / f"last_run.{profile}.json", directory / f"last_run.{profile}.md"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never part of one.

    The text goes to a temporary file in the same folder, which then replaces ``path`` in one step
    (``os.replace``); a kill, Ctrl-C or full disk while writing leaves the old file as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")  # the umask's permissions
    try:
        with open(temporary, "x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _rerun_command(path: Path) -> str:
    """The command that writes the report ``path`` again (its profile is in its name)."""
    parts = path.name.split(".")
    profile = parts[1] if len(parts) == 3 and parts[1] in PROFILES else "PROFILE"
    return f"python -m course_utils run --profile {profile}"


def load_report(path: Path) -> dict[str, Any]:
    """The run report at ``path`` (``build/last_run.<profile>.json``), checked: its ``"runs"`` rows each
    hold every field of a :class:`NotebookRun` (older rows get the defaults, and the report's date).

    Raises :class:`ReportError` naming the file and the fix when it is missing, cut short or not a report.
    Fields a row holds that :class:`NotebookRun` no longer has are dropped.
    """
    path = Path(path)
    if not path.is_file():
        raise ReportError(path, "does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError(path, f"is damaged, probably cut short ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise ReportError(path, "is not a run report (it has no list of runs)")
    names = {field.name for field in fields(NotebookRun)}
    rows = []
    for index, row in enumerate(data["runs"]):
        try:
            if not isinstance(row, dict) or not isinstance(row.get("notebook"), str):
                raise TypeError("not a notebook's row")
            known = {key: value for key, value in row.items() if key in names}  # a field since dropped: ignored
            run = NotebookRun(**{"date": data.get("date", ""), **known})
            if not isinstance(run.seconds, (int, float)) or not isinstance(run.metrics, dict):
                raise TypeError("its seconds or metrics are not numbers")
        except TypeError as error:
            raise ReportError(path, f"has a damaged row {index + 1} ({error})") from None
        rows.append(asdict(run))
    return {**data, "runs": rows}


def _set_aside(path: Path) -> Path:
    """Rename the unreadable ``path`` to a free ``<name>.damaged`` beside it; returns the new name."""
    aside = path.with_name(path.name + ".damaged")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.damaged-{number}")
    path.rename(aside)
    return aside


def _previous_runs(json_path: Path, fresh: set[str], root: Path) -> list[NotebookRun]:
    """The rows of the report at ``json_path`` for notebooks not in ``fresh`` (and still in the course).

    An unreadable report is set aside (renamed ``.damaged``, nothing lost) with a warning, and no rows are kept.
    """
    if not json_path.exists():
        return []
    try:
        previous = load_report(json_path)
    except ReportError as error:
        aside = _set_aside(json_path)
        print(
            f"warning: the previous report {json_path} {error.reason}, so its rows could not be read and were set "
            f"aside as {aside} (nothing deleted); the new report holds only this run's notebooks.",
            file=sys.stderr,
        )
        return []
    return [
        NotebookRun(**row)
        for row in previous["runs"]
        if row["notebook"] not in fresh and (root / row["notebook"]).is_file()
    ]


def write_report(
    runs: list[NotebookRun], profile: str, directory: Path = REPORT_DIR, *, merge: bool = False, root: Path = ROOT
) -> Path:
    """Save the last run of ``profile`` as JSON and as the Markdown table the README shows.

    With ``merge``, notebooks this run did not execute keep their rows from the previous report
    (each row carries its own date), so running one long notebook does not drop the others; a previous
    report that cannot be read is set aside as ``<name>.damaged`` with a warning.  Each file is
    replaced in one step (:func:`write_atomically`): a run stopped while writing leaves the old report.
    """
    json_path, md_path = report_paths(profile, directory)
    commit = course_commit(root)
    runs = [run if run.commit else replace(run, commit=commit) for run in runs]
    if merge:
        kept = _previous_runs(json_path, {run.notebook for run in runs}, root)
        runs = sorted(kept + list(runs), key=lambda run: run.notebook)
    dates = sorted({run.date for run in runs})
    meta = {
        "date": dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
        "profile": profile,
        "machine": machine_description(),
        "python": platform.python_version(),
        "total_seconds": round(sum(run.seconds for run in runs), 1),
        "commits": sorted({run.commit for run in runs if run.commit}),
        "versions": package_versions(),
    }
    write_atomically(json_path, json.dumps({**meta, "runs": [asdict(run) for run in runs]}, indent=1) + "\n")
    write_atomically(md_path, markdown_table(meta, runs) + "\n")
    return md_path


def markdown_table(meta: dict[str, Any], runs: list[NotebookRun]) -> str:
    lines = [
        f"Measured on {meta['date']}, profile `{meta['profile']}`, {meta['machine']}, "
        f"Python {meta['python']}"
        + "".join(f" ({_shown_path(path)})" for path in sorted({run.python for run in runs if run.python}))
        + (f", commit {', '.join(meta['commits'])}" if meta.get("commits") else "")
        + f"; total {meta['total_seconds'] / 60:.1f} min.",
        "",
        "| notebook | result | wall time | peak memory | measured |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        shown = ", ".join(f"{name} {value:.3g}" for name, value in sorted(run.metrics.items()))
        name = f"`{run.notebook}`" + (f" ({run.note})" if run.note else "")
        memory = f"{run.peak_memory_mb / 1000:.1f} GB" if run.peak_memory_mb else "not measured"
        lines.append(f"| {name} | {run.result} | {run.time_text()} | {memory} | {shown} |")
    return "\n".join(lines)


def _shown_path(path: str) -> str:
    """An interpreter's path as a reader of the course sees it: relative to the clone when inside it."""
    try:
        return Path(path).relative_to(ROOT).as_posix()
    except ValueError:
        return path


def update_readme(
    readme: Path, directory: Path = REPORT_DIR, edition: Path | None = None, profiles: tuple[str, ...] = tuple(PROFILES)
) -> list[str]:
    """Fill the README's measured-results block of every profile that has results; returns them.

    The full block is the edition's (every lesson and solution, each from its own full run); the other
    profiles' blocks are their last run reports in ``directory``.
    """
    from .edition import EDITION_DIR, MANIFEST, results_markdown

    manifest = Path(edition or EDITION_DIR) / MANIFEST
    text = readme.read_text(encoding="utf-8")
    filled = []
    for profile in profiles:
        md_path = report_paths(profile, directory)[1]
        start, end = f"<!-- results:{profile}:start -->", f"<!-- results:{profile}:end -->"
        if profile == "full" and manifest.is_file():
            block = results_markdown(json.loads(manifest.read_text(encoding="utf-8")))
        elif md_path.is_file():
            block = md_path.read_text(encoding="utf-8")
        else:
            continue
        if start not in text or end not in text:
            continue
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{block.strip()}\n{end}{tail}"
        filled.append(profile)
    write_atomically(readme, text)
    return filled
