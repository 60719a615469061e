"""One plain sentence from a measured comparison: what a section of a lesson found, in numbers.

A paired comparison (:func:`course_utils.uncertainty.compare`) covers which images were drawn, not
the randomness of training.  So a sentence built here says what it rests on: ``one training run``,
or how many seeds, and how many of them were beyond noise in each direction.

    >>> from course_utils.uncertainty import Comparison
    >>> runs = [Comparison("frozen", "trainable", 0.86, 0.72, d, d - 0.02, d + 0.02, 1000, 0, 0)
    ...         for d in (0.135, 0.040, 0.057)]
    >>> over_seeds(runs)
    'frozen beat trainable by 7.7 points on average over 3 seeds (from +4.0 to +13.5; beyond noise in 3 of 3).'
"""

from __future__ import annotations

from collections.abc import Sequence

from .uncertainty import Comparison


def points(fraction: float) -> str:
    """A difference of accuracies in percentage points with its sign: ``+4.0`` (never ``-0.0``)."""
    return f"{round(100 * fraction, 1) + 0.0:+.1f}"


def one_run(comparison: Comparison) -> str:
    """``"A 0.974 vs B 0.972 on the same 1,000 images: +0.2 points [-0.9, +1.3], within noise (one training run)."``"""
    c = comparison
    return (
        f"{c.name_a} {c.accuracy_a:.3f} vs {c.name_b} {c.accuracy_b:.3f} on the same {c.n:,} images: "
        f"{points(c.difference)} points [{points(c.low)}, {points(c.high)}], {c.verdict} (one training run)."
    )


def over_seeds(comparisons: Sequence[Comparison]) -> str:
    """What several seeds of the same comparison say together, in one sentence.

    The average difference names the leader ("A beat B by ..."); the range (the leader minus the
    other, per seed) and the count of seeds beyond noise in each direction say how far that holds.  One seed is reported as :func:`one_run`.
    """
    if not comparisons:
        raise ValueError("no comparisons: run at least one seed")
    if len({(c.name_a, c.name_b) for c in comparisons}) != 1:
        raise ValueError("the comparisons must all compare the same two settings (the same name_a and name_b)")
    if len(comparisons) == 1:
        return one_run(comparisons[0])
    first = comparisons[0]
    differences = [c.difference for c in comparisons]
    mean = sum(differences) / len(differences)
    ahead_a, ahead_b = sum(c.a_ahead for c in comparisons), sum(c.b_ahead for c in comparisons)
    leader, other = (first.name_a, first.name_b) if mean >= 0 else (first.name_b, first.name_a)
    led, against = (ahead_a, ahead_b) if mean >= 0 else (ahead_b, ahead_a)
    differences = [d if mean >= 0 else -d for d in differences]  # the leader minus the other, seed by seed
    beyond = f"beyond noise in {led} of {len(comparisons)}"
    if against:
        beyond += f", the other way in {against}"
    return (
        f"{leader} beat {other} by {100 * abs(mean):.1f} points on average over {len(comparisons)} seeds "
        f"(from {points(min(differences))} to {points(max(differences))}; {beyond})."
    )


def hierarchy(task: str, taps: Sequence[str], pretrained: Sequence, random: Sequence) -> str:
    """Lesson 01's finding for one task, in one sentence: how the pretrained network's linear probes
    change with depth, where they peak, and at how many depths they beat the random network's.

    ``pretrained`` and ``random`` hold, for each tap, one True/False per validation image (the
    same images for every probe); each probe is one training run.
    """
    from .uncertainty import compare

    if not (len(taps) == len(pretrained) == len(random)) or len(taps) < 2:
        raise ValueError("give one tap name and one array of correct answers per tap, for both networks")
    accuracy = [float(sum(c)) / len(c) for c in pretrained]
    depth = compare(pretrained[-1], pretrained[0], taps[-1], taps[0])
    peak = max(range(len(taps)), key=accuracy.__getitem__)
    versus = [compare(p, r, "pretrained", "random") for p, r in zip(pretrained, random, strict=True)]
    ahead = sum(c.a_ahead for c in versus)
    if peak == len(taps) - 1:
        where = f"peaks at the last tap, {taps[-1]}"
    else:
        drop = compare(pretrained[peak], pretrained[-1], taps[peak], taps[-1])
        settled = "beyond noise" if drop.a_ahead else "within noise"
        where = (
            f"peaks at {taps[peak]} ({accuracy[peak]:.3f}; {points(drop.difference)} points over {taps[-1]}, {settled})"
        )
    rise = "beyond noise" if depth.a_ahead else ("the other way, beyond noise" if depth.b_ahead else "within noise")
    return (
        f"{task}: the pretrained probe goes from {accuracy[0]:.3f} at {taps[0]} to {accuracy[-1]:.3f} at {taps[-1]} "
        f"({points(depth.difference)} points, {rise}), {where}, and beats the random network's probe beyond noise "
        f"at {ahead} of {len(taps)} depths ({points(versus[-1].difference)} points at {taps[-1]}); one training run "
        "of each probe."
    )
