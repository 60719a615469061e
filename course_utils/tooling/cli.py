"""The command line, ``python -m course_utils COMMAND``: ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from ..assets.manifest import AssetError
from ..profiles import PROFILES
from .edition import EditionError
from .paths import CourseNotFound
from .reports import ReportError
from .thresholds import ThresholdError

DESCRIPTION = "Tools of the course 'Transfer Learning & Fine-Tuning with Keras'."


def _assets(args: argparse.Namespace) -> int:
    from ..assets.keras_cache import install_mirror, mirror_location, status_report

    if args.action == "fetch":
        from ..assets.catalog import course_catalog
        from ..assets.fetch import fetch_mirror

        fetch_mirror(Path(args.to), course_catalog(include_optional=args.with_optional))
        return 0
    mirror = mirror_location(args.assets)
    if args.action == "install":
        if mirror is None:
            print("No mirror configured: set COURSE_ASSETS=DIR or pass --assets DIR.", file=sys.stderr)
            return 2
        report = install_mirror(mirror)
        print(report.summary())
        return 1 if report.failed else 0
    print(status_report(mirror, verify=args.verify))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from ..assets.doctor import run_doctor

    return run_doctor(verify=args.verify)


def _shown(path: Path) -> Path:
    """``path`` relative to the course when it lies inside it (shorter to read), else as it is."""
    from .paths import ROOT

    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _run(args: argparse.Namespace) -> int:
    from . import paths
    from .harness import execute
    from .paths import ROOT, course_notebooks, notebook_key, require_root
    from .provenance import course_commit
    from .reports import report_paths, write_report

    require_root()
    build_dir = getattr(args, "build_dir", None)
    report_dir = Path(build_dir).resolve() if build_dir else paths.REPORT_DIR
    out_dir = report_dir / "executed" if build_dir else paths.OUT_DIR
    notebooks = [Path(n) for n in args.notebooks] or course_notebooks()
    if not notebooks:
        raise CourseNotFound(
            f"No notebooks in {ROOT / 'notebooks'} or {ROOT / 'solutions'}: is this a complete clone of the course?"
        )
    for notebook in notebooks:
        notebook_key(notebook)  # a bogus or outside path fails here, before anything runs
    commit = course_commit()  # the code as the run starts: edits made while it runs are not its code
    runs = []
    try:
        for index, notebook in enumerate(notebooks, 1):
            print(f"[{index}/{len(notebooks)}] {notebook} (profile {args.profile}) ...", flush=True)
            run = replace(execute(notebook, args.profile, out_dir=out_dir), commit=commit)
            runs.append(run)
            print(f"    {run.result} in {run.time_text()}; executed copy: {run.executed}")
            if not run.ok:
                print("    " + run.failure_report().replace("\n", "\n    "))
            # reported at once, into the previous report: a run stopped later keeps every notebook that finished
            write_report(runs, args.profile, report_dir, merge=True)
    except KeyboardInterrupt:
        write_report(runs, args.profile, report_dir, merge=True)  # again, if Ctrl-C came while writing
        rest = " ".join(shlex.quote(str(path)) for path in notebooks[len(runs) :])
        finished = ", ".join(run.notebook for run in runs) or "none"
        print(
            f"\nStopped (Ctrl-C) after {len(runs)} of {len(notebooks)} notebook(s). The report "
            f"{_shown(report_paths(args.profile, report_dir)[0])} keeps the {len(runs)} notebook(s) that "
            f"finished ({finished}); the other notebooks keep their rows from the previous report."
            + (f" Run the rest with: python -m course_utils run --profile {args.profile} {rest}" if rest else ""),
            file=sys.stderr,
        )
        return 130
    report = write_report(runs, args.profile, report_dir, merge=bool(args.notebooks))  # all: only this run
    print()
    print(report.read_text())
    print(f"Report: {_shown(report)} (and the .json beside it)")
    return 0 if all(run.ok for run in runs) else 1


def _negative_control(args: argparse.Namespace) -> int:
    from .harness import execute
    from .negative_controls import ENVIRONMENT, PROFILE, claims, judge_all, load_record, needs_full_control, save_run
    from .paths import THRESHOLDS_FILE, course_notebooks, notebook_key, require_root
    from .thresholds import Thresholds

    require_root()
    thresholds = Thresholds.load(THRESHOLDS_FILE)
    notebooks = []
    candidates = [Path(n) for n in args.notebooks] or course_notebooks()
    if args.profile != PROFILE and not args.notebooks:  # where the ci run leaves a claim unmeasured, or a stale run
        record = load_record()
        candidates = [nb for nb in candidates if needs_full_control(nb, thresholds, record, profile=args.profile)]
    for notebook in candidates:
        if claims(thresholds, notebook_key(notebook), args.profile):  # a bogus path fails here, before anything runs
            notebooks.append(notebook)
        elif args.notebooks:
            print(
                f"{notebook}: its {args.profile} section makes no claim that depends on the weights; nothing to control"
            )
    crashed = []
    if not args.check:
        for index, notebook in enumerate(notebooks, 1):
            print(f"[{index}/{len(notebooks)}] {notebook}: profile {args.profile}, random weights ...", flush=True)
            run = execute(notebook, args.profile, environment=dict(ENVIRONMENT), tag=".random-weights")
            print(f"    ran in {run.time_text()}; executed copy: {run.executed}")
            if run.error is None:
                save_run(notebook_key(notebook), notebook, run.metrics, args.profile)
            else:
                crashed.append(notebook)
                print("    " + run.failure_report().replace("\n", "\n    "))
    verdicts = judge_all(notebooks, profile=args.profile)
    for verdict in verdicts:
        if verdict.ok:
            print(f"ok      {verdict.key}: all {len(verdict.defeated)} claim(s) fail with random weights, as they must")
        for problem in verdict.problems:
            print(f"PROBLEM {problem}")
    for notebook in crashed:
        print(f"CRASHED {notebook}: its random-weights run stopped with an error (above); nothing was recorded")
    return 0 if not crashed and all(verdict.ok for verdict in verdicts) else 1


def _outputs(args: argparse.Namespace) -> int:
    from .output_contracts import keep_marked_outputs
    from .paths import OUT_DIR, notebook_key

    for name in args.notebooks:
        source = Path(name).resolve()
        executed = None
        if args.action == "keep":
            executed = OUT_DIR / f"{notebook_key(source)}.{args.profile}.ipynb"
            if not executed.is_file():
                print(
                    f"{executed} does not exist: run the notebook first with "
                    f"'python -m course_utils run --profile {args.profile} {name}'",
                    file=sys.stderr,
                )
                return 2
        kept = keep_marked_outputs(source, executed)
        print(f"{name}: outputs stripped; {kept} marked cell(s) keep their outputs")
    return 0


def _exercises(_: argparse.Namespace) -> int:
    from .exercise_builder import build_all
    from .paths import ROOT, require_root

    require_root()
    for path in build_all():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def _timings(args: argparse.Namespace) -> int:
    from .paths import ROOT, require_root
    from .timings import update_timings

    require_root()
    stale = update_timings(write=not args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'updated'}: {path.relative_to(ROOT)}")
    if args.check and stale:
        print("Run 'python -m course_utils timings' to rewrite these run-time lines.", file=sys.stderr)
        return 1
    if not stale:
        print("Every notebook's run-time line matches its measured times (the edition and tests/thresholds.toml).")
    return 0


def _edition(args: argparse.Namespace) -> int:
    from .edition import EditionError, build_edition, check_edition, edition_bytes
    from .exercise_builder import build_all
    from .paths import ROOT, require_root
    from .reports import update_readme
    from .timings import update_timings

    require_root()
    if args.action == "build":
        try:
            manifest = build_edition()
        except EditionError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"Edition written: {manifest.parent.relative_to(ROOT)}/ (see its README.md)")
        # What is generated from the edition follows it: the run-time lines, the exercises that carry
        # their solution's line, and the README's full results.
        for path in update_timings(write=True):
            print(f"run-time line updated: {path.relative_to(ROOT)}")
        build_all()
        update_readme(ROOT / "README.md", profiles=("full",))
        print("Exercises regenerated and the README's full results refreshed: review and commit them.")
    problems = check_edition()
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    if not problems:
        print(f"The edition is complete and current ({edition_bytes() / 2**20:.1f} MB).")
    return 1 if problems else 0


def _site(args: argparse.Namespace) -> int:
    from .edition import EditionError
    from .paths import require_root
    from .site import SITE_DIR, SiteError, build_site, serve_hint

    require_root()
    try:
        index = build_site(Path(args.out) if args.out else SITE_DIR)
    except (EditionError, SiteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(serve_hint(index))
    return 0


def _pack(args: argparse.Namespace) -> int:
    from .workshop_pack import DEFAULT_OUT, PackError, build_pack

    try:
        build_pack(
            Path(args.out) if args.out else DEFAULT_OUT,
            platforms=args.platform,
            pythons=args.python_version,
            allow_uncommitted=args.allow_uncommitted,
        )
    except PackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _readme(_: argparse.Namespace) -> int:
    from .paths import ROOT, require_root
    from .reports import update_readme

    filled = update_readme(require_root() / "README.md")
    if not filled:
        print("No report in build/ to put in the README: run the harness first.", file=sys.stderr)
        return 2
    print(f"README.md: measured results updated for profile(s) {', '.join(filled)} ({ROOT / 'README.md'})")
    return 0


def _command(sub: argparse._SubParsersAction, name: str, help: str) -> argparse.ArgumentParser:
    """Register the command ``name``: ``help`` is its line in the command list and the description its own
    ``--help`` starts with (argparse shows a subcommand's ``help=`` only in its parent's list)."""
    return sub.add_parser(name, help=help, description=help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    profiles = list(PROFILES)

    assets = _command(sub, "assets", help="the offline asset mirror and the Keras cache")
    assets.add_argument("action", choices=["status", "install", "fetch"])
    assets.add_argument("--assets", metavar="DIR", help="the mirror (default: $COURSE_ASSETS)")
    assets.add_argument("--to", metavar="DIR", help="fetch: where to build a new mirror")
    assets.add_argument(
        "--with-optional",
        action="store_true",
        help="fetch: also the larger backbones of lesson 06 (EfficientNetV2B0, ...)",
    )
    assets.add_argument("--verify", action="store_true", help="status: hash every cached file again")
    assets.set_defaults(func=_assets)

    doctor = _command(sub, "doctor", help="check this machine for the course")
    doctor.add_argument("--verify", action="store_true", help="hash every cached file again")
    doctor.set_defaults(func=_doctor)

    run = _command(sub, "run", help="execute notebooks headlessly and check their thresholds")
    run.add_argument("--profile", default="ci", choices=profiles)
    run.add_argument("notebooks", nargs="*", help="default: every lesson and solution")
    run.add_argument(
        "--build-dir",
        metavar="DIR",
        help="where the report and the executed copies go (default: build); e.g. a run on another Keras",
    )
    run.set_defaults(func=_run)

    negative = _command(
        sub,
        "negative-control",
        help="run notebooks with random weights and record that each accuracy claim fails",
    )
    negative.add_argument(
        "--profile",
        default="ci",
        choices=["ci", "quick", "full"],
        help="ci (every notebook with claims); quick or full only where that profile's claims compare a metric "
        "ci does not record",
    )
    negative.add_argument("--check", action="store_true", help="only judge the recorded runs, run nothing")
    negative.add_argument("notebooks", nargs="*", help="default: every notebook with claims in that profile")
    negative.set_defaults(func=_negative_control)

    outputs = _command(sub, "outputs", help="strip notebook outputs except NBVAL_CHECK_OUTPUT cells")
    outputs.add_argument(
        "action",
        choices=["strip", "keep"],
        help="strip: as committed; keep: marked cells take the last executed outputs",
    )
    outputs.add_argument("--profile", default="ci", choices=profiles)
    outputs.add_argument("notebooks", nargs="+")
    outputs.set_defaults(func=_outputs)

    exercises = _command(sub, "exercises", help="generate exercises/ from solutions/")
    exercises.add_argument("action", choices=["build"])
    exercises.set_defaults(func=_exercises)

    timings = _command(
        sub,
        "timings",
        help="write each notebook's measured run time at its top (full: the edition; ci: tests/thresholds.toml)",
    )
    timings.add_argument("--check", action="store_true", help="only report notebooks whose line is stale")
    timings.set_defaults(func=_timings)

    edition = _command(sub, "edition", help="the course edition: the last full run's notebooks, outputs kept")
    edition.add_argument(
        "action", choices=["build", "check"], help="build: from build/last_run.full.json; check: only judge"
    )
    edition.set_defaults(func=_edition)

    site = _command(sub, "site", help="build the course's website from the edition (offline, nothing executed)")
    site.add_argument("action", choices=["build"])
    site.add_argument("--out", metavar="DIR", help="default: build/site (the pages land in DIR/html)")
    site.set_defaults(func=_site)

    pack = _command(
        sub, "pack", help="a workshop pack: one folder (course, asset mirror, wheels) that installs with no network"
    )
    pack.add_argument("action", choices=["build"])
    pack.add_argument("--out", metavar="DIR", help="where to build it, a new folder (default: build/workshop-pack)")
    pack.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="TAG",
        help="also wheels for this platform tag, for this Python and each --python-version (repeatable; e.g. "
        "macosx_14_0_arm64, win_amd64, manylinux_2_28_x86_64)",
    )
    pack.add_argument(
        "--python-version",
        action="append",
        default=[],
        metavar="X.Y",
        help="also wheels for this Python release, on this platform and each --platform (repeatable)",
    )
    pack.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="build even if the work tree has uncommitted changes (the pack holds HEAD without them)",
    )
    pack.set_defaults(func=_pack)

    _command(sub, "readme", help="put the last run's measured results into README.md").set_defaults(func=_readme)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "assets" and args.action == "fetch" and not args.to:
        build_parser().error("assets fetch needs --to DIR")
    try:
        return args.func(args)
    except (AssetError, CourseNotFound, ThresholdError, ReportError, EditionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
