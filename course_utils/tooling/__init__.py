"""The course's own tooling, for maintainers, instructors and CI — lessons never import it.

- :mod:`~course_utils.tooling.cli` — ``python -m course_utils COMMAND`` (``--help`` lists the commands);
- :mod:`~course_utils.tooling.paths` — where the course's files are (a clone of the course);
- :mod:`~course_utils.tooling.harness` — execute a notebook headlessly and apply every check to that run;
- :mod:`~course_utils.tooling.thresholds` — ``tests/thresholds.toml``: time caps and checks per notebook;
- :mod:`~course_utils.tooling.negative_controls` — random-weights runs recorded; every claim must fail on them;
- :mod:`~course_utils.tooling.output_contracts` — ``# NBVAL_CHECK_OUTPUT`` cells: compare, strip, keep;
- :mod:`~course_utils.tooling.reports` — run reports in ``build/`` and the README's measured results;
- :mod:`~course_utils.tooling.exercise_builder` — generate ``exercises/`` from ``solutions/``.
"""
