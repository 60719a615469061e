"""Checks for the exercises: each verifies a learner's answer and, when wrong, says how to fix it.

A check returns a short confirmation when the answer is right and raises :class:`CheckFailed`
(an ``AssertionError``) with a hint when it is not.

The checks of the reasoning exercises (03, 04, 05 and 07) hint in two tiers (:func:`.hints._fail_tiered`): a
check's first failure says *what* is wrong without giving the answer away; its second failure, or
:func:`hint` after any failure, also names the function or the line to use.

One module per part of the course: :mod:`.features` (exercises 01-03), :mod:`.fine_tuning` (04-06),
:mod:`.shipping` (07), :mod:`.capstone` (08); :mod:`.hints` and :mod:`.answers` serve them all.
Exercises use ``from course_utils import exercise_checks`` and call ``exercise_checks.check_...``.
"""

from .capstone import (
    check_flowers_pipeline,
    check_flowers_split,
    check_head_trained,
    check_multiclass_model,
    check_phase2_setup,
)
from .features import (
    MOBILENET_V2_PARAMS,
    POOLED_HEAD_PARAMS,
    PREDICTION_BAND,
    SERVED_RAW_REASONS,
    check_pooled_model,
    check_served_raw,
    check_shallowest_layer,
)
from .fine_tuning import (
    BATCHNORM_SUSPECTS,
    VERDICTS,
    check_backbone_swap,
    check_batchnorm_fix,
    check_fine_tune_report,
    check_fine_tune_setup,
)
from .hints import AGAIN, CheckFailed, Hint, hint, reset_hints
from .shipping import CANDIDATES, EVIDENCE_KEYS, check_shipping_decision

__all__ = [
    "AGAIN",
    "BATCHNORM_SUSPECTS",
    "CANDIDATES",
    "EVIDENCE_KEYS",
    "MOBILENET_V2_PARAMS",
    "POOLED_HEAD_PARAMS",
    "PREDICTION_BAND",
    "SERVED_RAW_REASONS",
    "VERDICTS",
    "CheckFailed",
    "Hint",
    "check_backbone_swap",
    "check_batchnorm_fix",
    "check_fine_tune_report",
    "check_fine_tune_setup",
    "check_flowers_pipeline",
    "check_flowers_split",
    "check_head_trained",
    "check_multiclass_model",
    "check_phase2_setup",
    "check_pooled_model",
    "check_served_raw",
    "check_shallowest_layer",
    "check_shipping_decision",
    "hint",
    "reset_hints",
]
