"""Exercise 07: ship the fine-tuned model or the small CNN, from accuracy and milliseconds per image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import numpy as np

from .hints import _fail_tiered

#: Exercise 07: the two models a team could ship, and the two numbers a decision between them needs for each.
CANDIDATES = ("fine-tuned MobileNetV2", "small CNN")
EVIDENCE_KEYS = ("accuracy", "ms_per_image")


def _rule_ships(lead: Any, fine_tuned_ms: float, ms_budget: float) -> str:
    """Exercise 07's rule: the fine-tuned MobileNetV2 if it is ahead of the small CNN beyond noise (``lead``, paired,
    fine-tuned minus small CNN) and serves an image within ``ms_budget`` milliseconds; otherwise the small CNN."""
    return CANDIDATES[0] if lead.a_ahead and fine_tuned_ms <= ms_budget else CANDIDATES[1]


def check_shipping_decision(ship: Any, evidence: Any, correct: Mapping[str, Any], ms_budget: float) -> str:
    """Exercise 07: ``ship`` (one of :data:`CANDIDATES`) follows, under the stated rule (:func:`_rule_ships`), from
    ``evidence`` — each candidate's test accuracy and milliseconds per image — and the accuracies are the ones
    ``correct`` (one True/False per test icon, per candidate) gives.  Hints in two tiers."""
    from ..uncertainty import compare

    def fail(what: str, how: str) -> NoReturn:
        _fail_tiered("check_shipping_decision", what, how)

    layout = "EVIDENCE = {name: {'accuracy': ..., 'ms_per_image': ...} for name in CANDIDATES}"
    timing = (
        "time the same sample of test icons for both models, after a warm-up call: ms = 1000 * median_latency(lambda: "
        "model.predict_on_batch(sample), repeats=3) / len(sample) (course_utils.deployment)"
    )
    if not isinstance(evidence, Mapping):
        fail(f"EVIDENCE should map each candidate to its two numbers, got {type(evidence).__name__}.", layout)
    for name in CANDIDATES:
        entry = evidence.get(name)
        if not isinstance(entry, Mapping):
            fail(
                f"EVIDENCE has no numbers for {name!r}: a decision between two models needs both models' numbers.",
                layout,
            )
        for key in EVIDENCE_KEYS:
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                fail(
                    f"EVIDENCE[{name!r}] has no number for {key!r}: the rule needs the accuracy and the milliseconds "
                    "per image of both models.",
                    timing if key == "ms_per_image" else f"float(correct[{name!r}].mean())",
                )
    for name in CANDIDATES:
        measured = float(np.mean(np.asarray(correct[name], dtype=bool)))
        if abs(float(evidence[name]["accuracy"]) - measured) > 0.005:
            fail(
                f"EVIDENCE[{name!r}]['accuracy'] = {evidence[name]['accuracy']} is not what that model scored on the test "
                f"icons.",
                f"float(correct[{name!r}].mean()): the share of test icons it gets right.",
            )
    fine_ms, cnn_ms = (float(evidence[name]["ms_per_image"]) for name in CANDIDATES)
    if not (np.isfinite(fine_ms) and np.isfinite(cnn_ms) and fine_ms > 0 and cnn_ms > 0):
        fail(f"Milliseconds per image must be positive numbers, got {fine_ms:g} and {cnn_ms:g}.", timing)
    if fine_ms <= cnn_ms:
        fail(
            f"Your timings say the small CNN ({cnn_ms:.3g} ms) is at least as slow per image as MobileNetV2 "
            f"({fine_ms:.3g} ms), a network with about 65 times its parameters that also reads each icon at 96 px: "
            "something else was timed (a first call, which builds the graph, or a different number of images).",
            timing,
        )
    if ship not in CANDIDATES:
        fail(f"SHIP = {ship!r} is not one of the candidates {list(CANDIDATES)}.", "SHIP = one of CANDIDATES.")
    lead = compare(correct[CANDIDATES[0]], correct[CANDIDATES[1]], CANDIDATES[0], CANDIDATES[1])
    decided = _rule_ships(lead, fine_ms, ms_budget)
    if ship != decided:
        fail(
            f"SHIP = {ship!r} does not follow from the rule and your numbers: check each of the rule's two conditions "
            "against them — an accuracy that is higher is a lead only beyond noise.",
            f"lead = compare(correct[{CANDIDATES[0]!r}], correct[{CANDIDATES[1]!r}]) (course_utils.uncertainty); ship "
            f"the fine-tuned model only if lead.low > 0 and its ms_per_image <= MS_BUDGET ({ms_budget:g}), "
            "otherwise the small CNN.",
        )
    return (
        f"Right: ship the {ship}. Fine-tuned {lead.accuracy_a:.3f} vs small CNN {lead.accuracy_b:.3f} on the same "
        f"{lead.n:,} test icons, {100 * lead.difference:+.1f} points [{100 * lead.low:+.1f}, {100 * lead.high:+.1f}] "
        f"({'ahead beyond noise' if lead.low > 0 else 'not ahead beyond noise'}); {fine_ms:.2f} ms against "
        f"{cnn_ms:.3f} ms per image, with a budget of {ms_budget:g} ms."
    )
