"""Helpers for the course *Transfer Learning & Fine-Tuning with Keras*: what the lessons import.

Every notebook starts with :func:`setup` (profile, offline assets, seeds, a summary of the machine)
and reports what it measured with :func:`record`.  The helpers lessons call sit beside them, one
module per topic:

- :mod:`course_utils.datasets` — dataset URLs, image folders as datasets, arrays in memory, tf_flowers offline;
- :mod:`course_utils.photos` — picking and loading photos; which ImageNet classes are cats and dogs;
- :mod:`course_utils.heads` — small classifier heads trained on cached features;
- :mod:`course_utils.finetune` — unfreeze the top with BatchNorm frozen; block boundaries; run backups;
- :mod:`course_utils.backbones` — pretrained networks, each with its preprocessing contract;
- :mod:`course_utils.model_weights` — parameter counts and weight snapshots;
- :mod:`course_utils.evaluation` — which images a model gets right; confusion matrices, the most confused pairs;
- :mod:`course_utils.uncertainty` — an accuracy's 95% interval; two models compared on the same images, with a verdict;
- :mod:`course_utils.plots` — image grids, series, learning curves, confusion matrices;
- :mod:`course_utils.gradcam` — Grad-CAM heatmaps of a model with a nested base, laid over their photos;
- :mod:`course_utils.deployment` — a photo written as a file, model sizes on disk, single-image latency;
- :mod:`course_utils.keras_backends` — lesson 09's probes: the same Keras code on TensorFlow, JAX and PyTorch;
- :mod:`course_utils.exercise_checks` — the exercises' checks, each with a hint when the answer is wrong;
- :mod:`course_utils.profiles` — the ``full``, ``ci`` and ``smoke`` sizes a notebook runs at.

Two sub-packages keep the machinery out of the learner's way: :mod:`course_utils.assets` (the
offline asset mirror, the Keras cache, the download guard, ``doctor``) and
:mod:`course_utils.tooling` (the notebook harness, thresholds, exercise generation, the command
line ``python -m course_utils``).

Importing this package is cheap: TensorFlow is imported only when a helper needs it.
"""

from .notebook_setup import setup
from .profiles import PROFILES, Settings
from .recording import record

__all__ = ["setup", "record", "PROFILES", "Settings"]
__version__ = "0.1.0"  # the one place the version is written: pyproject.toml reads it from here
