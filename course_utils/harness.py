"""Execute course notebooks headlessly and check what they claim.

One execution per notebook (papermill, kernel ``python3``) serves every check:
- the thresholds of ``tests/thresholds.toml`` on the metrics the notebook recorded;
- the output contracts: cells marked ``# NBVAL_CHECK_OUTPUT`` must reproduce their committed
  outputs (compared the way nbval compares them: streams coalesced, text outputs only).

Used by the pytest suite and by ``python -m course_utils run``.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

import nbformat

from .metrics import read_metrics
from .thresholds import Thresholds

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "build" / "executed"
THRESHOLDS_FILE = ROOT / "tests" / "thresholds.toml"
REPORT_DIR = ROOT / "build"
KERNEL = "python3"
MARKER = "NBVAL_CHECK_OUTPUT"
COMPARED_MIME = ("text/plain",)


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    notebook: str  # relative to the course root
    profile: str
    executed: str
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    passed_checks: list[str] = field(default_factory=list)
    note: str = ""
    date: str = field(default_factory=lambda: _dt.date.today().isoformat())

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    def reproduce(self) -> str:
        return f"python -m course_utils run --profile {self.profile} {self.notebook}"

    def failure_report(self) -> str:
        lines = [f"{self.notebook} (profile {self.profile}) failed after {self.seconds:.0f} s:"]
        if self.error:
            lines.append(f"  execution error: {self.error}")
        lines += [f"  - {problem}" for problem in self.problems]
        lines += [f"Executed notebook: {self.executed}", f"Reproduce: {self.reproduce()}"]
        return "\n".join(lines)


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """Every lesson and solution notebook, in course order."""
    return sorted((root / "notebooks").glob("*.ipynb")) + sorted((root / "solutions").glob("*.ipynb"))


def execute(notebook: Path, profile: str = "ci", *, parameters: dict[str, Any] | None = None,
            out_dir: Path = OUT_DIR, tag: str = "", thresholds: Thresholds | None = None,
            root: Path = ROOT) -> NotebookRun:
    """Run ``notebook`` once with papermill in ``profile`` and apply every check to that run."""
    import papermill

    notebook = Path(notebook).resolve()
    thresholds = thresholds if thresholds is not None else Thresholds.load(THRESHOLDS_FILE)
    key = Thresholds.key_for(notebook, root)
    limits = thresholds.for_notebook(key, profile)
    executed = out_dir / f"{key}{tag}.{profile}.ipynb"
    metrics_path = executed.with_suffix(".metrics.json")
    executed.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.unlink(missing_ok=True)

    run = NotebookRun(notebook=key + ".ipynb", profile=profile, executed=str(executed), seconds=0.0)
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook), str(executed), kernel_name=KERNEL, cwd=str(notebook.parent),
            parameters={"PROFILE": profile, "METRICS_PATH": str(metrics_path),
                        **(dict(limits.parameters) if limits else {}), **(parameters or {})},
            execution_timeout=int(limits.timeout_s) if limits else None,
            progress_bar=False, log_output=False,
        )
    except Exception as error:  # papermill raises PapermillExecutionError with the cell's traceback
        run.error = _short_error(error)
    run.seconds = time.perf_counter() - started
    run.metrics = read_metrics(metrics_path)
    if run.error is None:
        run.problems += compare_marked_outputs(notebook, executed)
        if limits is None and profile == "ci":
            run.problems.append(f"no [\"{key}\".ci] section in {THRESHOLDS_FILE.name}: every "
                                "notebook needs measured ci thresholds and a timeout")
        elif limits is not None:
            if run.seconds > limits.timeout_s:
                run.problems.append(f"took {run.seconds:.0f} s, over its {limits.timeout_s:.0f} s budget")
            for check in limits.checks:
                passed, explanation = check.evaluate(run.metrics)
                (run.passed_checks if passed else run.problems).append(
                    explanation if passed else f"threshold not met: {explanation}")
    return run


def _short_error(error: Exception) -> str:
    name = getattr(error, "ename", type(error).__name__)
    value = getattr(error, "evalue", str(error))
    cell = getattr(error, "exec_count", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    return f"{name}{where}: {value}"


def _comparable(outputs: Iterable[Any]) -> list[tuple[str, str]]:
    """Outputs reduced to what is compared: stdout text and text/plain results, as nbval sees them."""
    from nbval.plugin import coalesce_streams

    items = []
    for output in coalesce_streams([nbformat.from_dict(o) for o in outputs]):
        if output.output_type == "stream" and output.name == "stdout":
            items.append(("stdout", output.text))
        elif output.output_type in ("execute_result", "display_data"):
            items += [(mime, output.data[mime]) for mime in COMPARED_MIME if mime in output.data]
        elif output.output_type == "error":
            items.append(("error", f"{output.ename}: {output.evalue}"))
    return items


def marked_cells(nb: nbformat.NotebookNode) -> list[tuple[int, Any]]:
    return [(i, cell) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and MARKER in cell.source]


def compare_marked_outputs(source: Path, executed: Path) -> list[str]:
    """Differences between the committed outputs of marked cells and this run's outputs."""
    committed = nbformat.read(source, as_version=4)
    ran = nbformat.read(executed, as_version=4)
    ran_by_id = {cell.get("id"): cell for cell in ran.cells}
    problems = []
    for index, cell in marked_cells(committed):
        twin = ran_by_id.get(cell.get("id"))
        if twin is None:
            problems.append(f"marked cell {index} is missing from the executed notebook")
            continue
        want, got = _comparable(cell.outputs), _comparable(twin.outputs)
        if not want:
            problems.append(f"marked cell {index} has no committed output to compare; refresh it with "
                            f"'python -m course_utils outputs keep {source.name}'")
        elif want != got:
            problems.append(f"output of marked cell {index} changed:\n    committed: {want!r}\n"
                            f"    this run:  {got!r}")
    return problems


def keep_marked_outputs(source: Path, executed: Path | None) -> int:
    """Strip every output of ``source`` except marked cells, which take ``executed``'s outputs.

    With ``executed=None`` marked cells keep what they have.  Returns how many cells carry outputs.
    """
    nb = nbformat.read(source, as_version=4)
    ran_by_id = {}
    if executed is not None:
        ran_by_id = {cell.get("id"): cell for cell in nbformat.read(executed, as_version=4).cells}
    kept = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if MARKER in cell.source:
            if cell.get("id") in ran_by_id:
                cell.outputs = [o for o in ran_by_id[cell.id].outputs
                                if not (o.output_type == "stream" and o.name == "stderr")]
            kept += bool(cell.outputs)
        else:
            cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, source)
    return kept


def report_paths(profile: str, directory: Path = REPORT_DIR) -> tuple[Path, Path]:
    """Where the last run of ``profile`` is reported: (JSON, Markdown)."""
    return directory / f"last_run.{profile}.json", directory / f"last_run.{profile}.md"


def write_report(runs: list[NotebookRun], profile: str, directory: Path = REPORT_DIR, *,
                 merge: bool = False) -> Path:
    """Save the last run of ``profile`` as JSON and as the Markdown table the README shows.

    With ``merge``, notebooks this run did not execute keep their rows from the previous report
    (each row carries its own date), so running one long notebook does not drop the others.
    """
    import os

    json_path, md_path = report_paths(profile, directory)
    if merge and json_path.exists():
        fresh = {run.notebook for run in runs}
        previous = json.loads(json_path.read_text())
        kept = [NotebookRun(**{"date": previous["date"], **row}) for row in previous["runs"]
                if row["notebook"] not in fresh]
        runs = sorted(kept + list(runs), key=lambda run: run.notebook)
    dates = sorted({run.date for run in runs})
    meta = {
        "date": dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
        "profile": profile,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, no GPU" if not _has_gpu()
        else f"{platform.machine()}, {os.cpu_count()} CPU cores, GPU",
        "python": platform.python_version(),
        "total_seconds": round(sum(run.seconds for run in runs), 1),
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({**meta, "runs": [asdict(run) for run in runs]}, indent=1) + "\n")
    md_path.write_text(markdown_table(meta, runs) + "\n")
    return md_path


def markdown_table(meta: dict[str, Any], runs: list[NotebookRun]) -> str:
    lines = [f"Measured on {meta['date']}, profile `{meta['profile']}`, {meta['machine']}, "
             f"Python {meta['python']}; total {meta['total_seconds'] / 60:.1f} min.", "",
             "| notebook | result | wall time | measured |", "|---|---|---|---|"]
    for run in runs:
        result = "ok" if run.ok else "FAILED"
        shown = ", ".join(f"{name} {value:.3g}" for name, value in sorted(run.metrics.items()))
        name = f"`{run.notebook}`" + (f" ({run.note})" if run.note else "")
        lines.append(f"| {name} | {result} | {run.seconds:.0f} s | {shown} |")
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
    for profile in ("full", "ci", "smoke"):
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
