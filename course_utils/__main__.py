"""``python -m course_utils COMMAND``: the command line lives in :mod:`course_utils.tooling.cli`."""

import sys

from .tooling.cli import main

if __name__ == "__main__":
    sys.exit(main())
