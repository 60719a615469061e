"""Helpers for the course *Transfer Learning & Fine-Tuning with Keras*.

Notebooks use three things from here, and everything else is plumbing:

- :func:`setup` — the first call of every notebook (profile, offline assets, seeds, summary);
- :func:`record` — report a measured number to the test harness;
- the helpers in :mod:`course_utils.data` and :mod:`course_utils.plots`.

Importing this package is cheap: TensorFlow is imported only when a helper needs it.
"""

from .environment import setup
from .metrics import record
from .profiles import PROFILES, Settings

__all__ = ["setup", "record", "PROFILES", "Settings"]
__version__ = "0.1.0"
