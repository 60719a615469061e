"""Run reports: ``build/last_run.<profile>.{json,md}`` and the README's measured-results blocks."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from ..profiles import PROFILES
from .harness import NotebookRun
from .paths import REPORT_DIR, ROOT
from .provenance import course_commit, package_versions


def report_paths(profile: str, directory: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Where the last run of ``profile`` is reported: (JSON, Markdown)."""
    return directory / f"last_run.{profile}.json", directory / f"last_run.{profile}.md"


def write_report(
    runs: list[NotebookRun], profile: str, directory: Path = REPORT_DIR, *, merge: bool = False, root: Path = ROOT
) -> Path:
    """Save the last run of ``profile`` as JSON and as the Markdown table the README shows.

    With ``merge``, notebooks this run did not execute keep their rows from the previous report
    (each row carries its own date), so running one long notebook does not drop the others.
    """
    json_path, md_path = report_paths(profile, directory)
    commit = course_commit(root)
    runs = [run if run.commit else replace(run, commit=commit) for run in runs]
    if merge and json_path.exists():
        fresh = {run.notebook for run in runs}
        previous = json.loads(json_path.read_text())
        kept = [  # rows of notebooks this run did not execute, unless the notebook is gone
            NotebookRun(**{"date": previous["date"], **row})
            for row in previous["runs"]
            if row["notebook"] not in fresh and (root / row["notebook"]).is_file()
        ]
        runs = sorted(kept + list(runs), key=lambda run: run.notebook)
    dates = sorted({run.date for run in runs})
    meta = {
        "date": dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
        "profile": profile,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU"
        if not _has_gpu()
        else f"{platform.machine()}, {os.cpu_count()} CPU cores, GPU",
        "python": platform.python_version(),
        "total_seconds": round(sum(run.seconds for run in runs), 1),
        "commits": sorted({run.commit for run in runs if run.commit}),
        "versions": package_versions(),
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({**meta, "runs": [asdict(run) for run in runs]}, indent=1) + "\n")
    md_path.write_text(markdown_table(meta, runs) + "\n")
    return md_path


def markdown_table(meta: dict[str, Any], runs: list[NotebookRun]) -> str:
    lines = [
        f"Measured on {meta['date']}, profile `{meta['profile']}`, {meta['machine']}, "
        f"Python {meta['python']}"
        + (f", commit {', '.join(meta['commits'])}" if meta.get("commits") else "")
        + f"; total {meta['total_seconds'] / 60:.1f} min.",
        "",
        "| notebook | result | wall time | measured |",
        "|---|---|---|---|",
    ]
    for run in runs:
        shown = ", ".join(f"{name} {value:.3g}" for name, value in sorted(run.metrics.items()))
        name = f"`{run.notebook}`" + (f" ({run.note})" if run.note else "")
        lines.append(f"| {name} | {run.result} | {run.time_text()} | {shown} |")
    return "\n".join(lines)


def _has_gpu() -> bool:
    try:
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    except Exception:
        return False


def update_readme(readme: Path, directory: Path = REPORT_DIR) -> list[str]:
    """Fill the README's measured-results block of every profile that has a report; returns them."""
    text = readme.read_text(encoding="utf-8")
    filled = []
    for profile in PROFILES:
        md_path = report_paths(profile, directory)[1]
        start, end = f"<!-- results:{profile}:start -->", f"<!-- results:{profile}:end -->"
        if not md_path.is_file() or start not in text or end not in text:
            continue
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{md_path.read_text(encoding='utf-8').strip()}\n{end}{tail}"
        filled.append(profile)
    readme.write_text(text, encoding="utf-8")
    return filled
