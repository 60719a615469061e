"""Execute course notebooks headlessly and check what they claim.

One execution per notebook (papermill, on a kernel of the harness's own interpreter) serves every check:
- the thresholds of ``tests/thresholds.toml`` on the metrics the notebook recorded;
- the output contracts: cells marked ``# NBVAL_CHECK_OUTPUT`` must reproduce their committed
  outputs (compared the way nbval compares them: streams coalesced, text outputs only);
- the figures: kernels draw with the inline backend, and a cell that plots must show an image.

Used by the pytest suite and by ``python -m course_utils run``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..recording import METRICS_PATH_VAR, read_metrics
from .figures import inline_backend, missing_figures
from .memory import PeakMemory
from .output_contracts import compare_marked_outputs
from .paths import OUT_DIR, ROOT, THRESHOLDS_FILE, notebook_key
from .provenance import machine_description, package_versions
from .thresholds import Thresholds

KERNEL = "python3"  # the kernel name the notebooks carry; the harness resolves it to its own interpreter


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
    budget_s: float | None = None  # twice the measured time: over it, the run is flagged, not failed
    checked: bool = True  # False: the thresholds file has no section for this notebook in this profile
    commit: str = ""  # the course's commit the run executed (tooling/provenance.py); "" if unknown
    python: str = ""  # the interpreter the kernel ran on (the harness's own); "" in reports older than the field
    # Where and with what it ran, per run: a report merges runs made on other days, machines or versions.
    python_version: str = ""
    machine: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    peak_memory_mb: float | None = None  # the kernel's and its children's resident memory at its peak (sampled)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    @property
    def result(self) -> str:
        """``ok``, ``FAILED``, or ``unchecked`` (it ran, but nothing it claims was checked)."""
        if not self.ok:
            return "FAILED"
        return "ok" if self.checked else "unchecked"

    @property
    def over_budget(self) -> bool:
        return self.budget_s is not None and self.seconds > self.budget_s

    def time_text(self) -> str:
        """The wall time beside its budget, e.g. ``83 s (budget 166 s)``."""
        if self.budget_s is None:
            return f"{self.seconds:.0f} s"
        flag = ", over budget: a slow or busy machine?" if self.over_budget else ""
        return f"{self.seconds:.0f} s (budget {self.budget_s:.0f} s{flag})"

    def reproduce(self) -> str:
        return f"python -m course_utils run --profile {self.profile} {self.notebook}"

    def failure_report(self) -> str:
        lines = [f"{self.notebook} (profile {self.profile}) failed after {self.seconds:.0f} s:"]
        if self.error:
            lines.append(f"  execution error: {self.error}")
        lines += [f"  - {problem}" for problem in self.problems]
        lines += [f"Executed notebook: {self.executed}", f"Reproduce: {self.reproduce()}"]
        return "\n".join(lines)


def execute(
    notebook: Path,
    profile: str = "ci",
    *,
    environment: Mapping[str, str] | None = None,
    out_dir: Path = OUT_DIR,
    tag: str = "",
    thresholds: Thresholds | None = None,
    root: Path = ROOT,
) -> NotebookRun:
    """Run ``notebook`` once with papermill in ``profile`` and apply every check to that run.

    The notebook gets ``PROFILE`` injected after its parameters cell, and nothing else; the
    harness's own settings reach its kernel as environment variables, not as names a learner sees:
    ``COURSE_METRICS_PATH`` (where :func:`course_utils.record` writes) and any ``environment``
    (the negative control's ``COURSE_RANDOM_WEIGHTS``).
    """
    import papermill

    notebook = Path(notebook).resolve()
    thresholds = thresholds if thresholds is not None else Thresholds.load(THRESHOLDS_FILE)
    key = notebook_key(notebook, root)
    limits = thresholds.for_notebook(key, profile)
    executed = out_dir / f"{key}{tag}.{profile}.ipynb"
    metrics_path = executed.with_suffix(".metrics.json")
    workdir = executed.with_suffix(".work")  # its own working directory: nothing of an earlier run leaks in
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    metrics_path.unlink(missing_ok=True)

    run = NotebookRun(
        notebook=key + ".ipynb",
        profile=profile,
        executed=str(executed),
        seconds=0.0,
        python=sys.executable,
        python_version=platform.python_version(),
        machine=machine_description(),
        versions=package_versions(),
    )
    # papermill writes its copy as it goes: a run stopped with Ctrl-C must not leave a half-run copy
    # where the last complete one was (a report row still points at it).
    partial = executed.with_name(executed.name.removesuffix(".ipynb") + ".partial.ipynb")
    started = time.perf_counter()
    try:
        # figures kept in the executed copy, whatever MPLBACKEND the caller set
        kernel_env = {METRICS_PATH_VAR: str(metrics_path), **(environment or {})}
        with inline_backend(), PeakMemory() as peak, own_interpreter_kernel(kernel_env) as kernel_manager_class:
            papermill.execute_notebook(
                str(notebook),
                str(partial),
                kernel_name=KERNEL,
                kernel_manager_class=kernel_manager_class,  # passed on to nbclient
                cwd=str(workdir),
                parameters={"PROFILE": profile},
                execution_timeout=int(limits.cell_limit_s) if limits else None,
                progress_bar=False,
                log_output=False,
            )
    except Exception as error:  # papermill raises PapermillExecutionError with the cell's traceback
        run.error = _short_error(error)
    if partial.exists():  # finished, or failed in a cell: the copy shows how far it got (KeyboardInterrupt skips this)
        partial.replace(executed)
    run.seconds = time.perf_counter() - started
    run.peak_memory_mb = round(peak.megabytes) if peak.peak_bytes else None
    run.metrics = read_metrics(metrics_path)
    if run.error is None:
        run.problems += compare_marked_outputs(notebook, executed)
        run.problems += missing_figures(executed)
        if limits is None and profile == "ci":
            run.problems.append(
                f'no ["{key}".ci] section in {THRESHOLDS_FILE.name}: every '
                "notebook needs measured ci thresholds and its measured time"
            )
        elif limits is None:
            run.checked = False
        else:
            run.budget_s = limits.budget_s
            for check in limits.checks:
                passed, explanation = check.evaluate(run.metrics)
                (run.passed_checks if passed else run.problems).append(
                    explanation if passed else f"threshold not met: {explanation}"
                )
    return run


@contextlib.contextmanager
def own_interpreter_kernel(env: Mapping[str, str] | None = None) -> Iterator[type]:
    """A kernel manager class (for nbclient) that starts :data:`KERNEL` on ``sys.executable``.

    Jupyter resolves a kernel name through every kernelspec folder it knows (``$JUPYTER_PATH``,
    the user's, the environment's, the system's), so the first ``python3`` found may be another
    environment's, with another TensorFlow or another checkout's ``course_utils``.  The class
    yielded here looks only in a private temporary folder holding one kernelspec, this
    interpreter's, with ``env`` added to the kernel's environment; nothing in the harness's own
    environment changes.
    """
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from traitlets import default

    with tempfile.TemporaryDirectory(prefix="course-kernels-") as kernels:
        spec_dir = Path(kernels) / KERNEL
        spec_dir.mkdir()
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec = {
            "argv": argv,
            "display_name": f"Python ({sys.executable})",
            "language": "python",
            "env": dict(env or {}),
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")

        class OwnInterpreterKernelManager(AsyncKernelManager):
            """Knows one kernelspec: the harness's own interpreter."""

            @default("kernel_spec_manager")
            def _own_kernel_specs(self) -> KernelSpecManager:
                return KernelSpecManager(kernel_dirs=[kernels], ensure_native_kernel=False)

            @default("transport")
            def _local_sockets(self) -> str:
                # The kernel and the harness share this machine: Unix sockets in a private folder, not
                # TCP ports (whose unencrypted traffic the kernel warns about on every start).
                return "ipc"

            @default("ip")
            def _socket_folder(self) -> str:
                return str(Path(kernels) / "kernel-ipc")

        yield OwnInterpreterKernelManager


def _short_error(error: Exception) -> str:
    name = getattr(error, "ename", type(error).__name__)
    value = getattr(error, "evalue", str(error))
    cell = getattr(error, "exec_count", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    return f"{name}{where}: {value}"
