"""Checks for the exercises: each verifies a learner's answer and, when wrong, says how to fix it.

A check returns a short confirmation when the answer is right and raises :class:`CheckFailed`
(an ``AssertionError``) with a hint when it is not.

The checks of the reasoning exercises (03, 04, 05 and 07) hint in two tiers (:func:`_fail_tiered`): a
check's first failure says *what* is wrong without giving the answer away; its second failure, or
:func:`hint` after any failure, also names the function or the line to use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NoReturn

import numpy as np

from .model_weights import count

MOBILENET_V2_PARAMS = 2_257_984
POOLED_HEAD_PARAMS = 1_281


class CheckFailed(AssertionError):
    """The answer is not right yet; the message says what to change."""


def _fail(message: str) -> NoReturn:
    raise CheckFailed(message)


# --- Hints in two tiers -------------------------------------------------------------------------------------------

#: What a first failure adds: how to get the second tier.
AGAIN = "Change your answer and run the check again: a second failure, or exercise_checks.hint(), names what to use."


class Hint(str):
    """A hint's text, shown as plain text (no quotes) when it is a cell's last value."""

    def __repr__(self) -> str:
        return str(self)


@dataclass
class _Hints:
    """How often each check failed in this kernel, and the second tier of the last failure."""

    failures: Counter[str] = field(default_factory=Counter)
    last: str | None = None


_HINTS = _Hints()


def _fail_tiered(check: str, what: str, how: str) -> NoReturn:
    """Fail ``check`` (failures are counted by its name): the message says ``what`` is wrong, which must not give
    the answer away, and from the check's second failure on also ``how`` to put it right — the function or line."""
    _HINTS.failures[check] += 1
    _HINTS.last = how
    if _HINTS.failures[check] == 1:
        raise CheckFailed(f"{what}\n({AGAIN})")
    raise CheckFailed(f"{what}\nHint: {how}")


def hint() -> Hint:
    """The second tier of the last failed check's hint: the function or line to use."""
    if _HINTS.last is None:
        return Hint("No check has failed in this kernel yet: run the check cell first.")
    return Hint(f"Hint: {_HINTS.last}")


def reset_hints() -> None:
    """Forget every failure so far: the next failure of each check is a first one again."""
    _HINTS.failures.clear()
    _HINTS.last = None


def _fraction(value: Any) -> float | None:
    """``value`` as a float in [0, 1], or None when it is not a number there."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        return None
    value = float(value)
    return value if 0.0 <= value <= 1.0 else None


def _correct_flags(values: Any, n: int) -> np.ndarray | None:
    """``values`` as one True/False per image for ``n`` images, or None when it is not that."""
    flags = np.asarray(values)
    if flags.shape != (n,) or not (flags.dtype == bool or np.isin(flags, (0, 1)).all()):
        return None
    return flags.astype(bool)


def check_shallowest_layer(answer: Any, taps: Sequence[str], accuracies: Sequence[float], target: float) -> str:
    """Exercise 01: ``answer`` must be the first tap (in network order) whose probe reaches ``target``."""
    reaching = [name for name, acc in zip(taps, accuracies, strict=True) if acc >= target]
    if not reaching:
        if answer is None:
            return f"Right: no probed layer reaches {target:.0%} in this run, so there is no such layer."
        _fail(f"No tap reaches {target:.0%} in this run, so the answer is None.")
    expected = reaching[0]
    if answer not in taps:
        _fail(f"{answer!r} is not one of the probed taps {list(taps)}: store the layer *name*, a string.")
    index = list(taps).index(answer)
    if accuracies[index] < target:
        _fail(
            f"{answer} reaches only {accuracies[index]:.1%}, below the target {target:.0%}: "
            "look for taps whose accuracy is at least the target."
        )
    if answer != expected:
        _fail(
            f"{answer} reaches the target, but {expected} does too and comes earlier in the network: "
            "go through the taps in order and stop at the first one that reaches it."
        )
    return f"Right: {answer} is the shallowest layer whose probe reaches {target:.0%} ({accuracies[index]:.1%})."


def check_pooled_model(model: Any, image_size: int = 160) -> str:
    """Exercise 02: a frozen MobileNetV2 with ``pooling="avg"`` and a one-logit head."""
    import keras

    if not isinstance(model, keras.Model):
        _fail(f"`model` should be a keras.Model, got {type(model).__name__}.")
    if tuple(model.input_shape) != (None, image_size, image_size, 3):
        _fail(f"The model takes {model.input_shape}; build it for (None, {image_size}, {image_size}, 3) images.")
    if tuple(model.output_shape) != (None, 1):
        _fail(
            f"The model outputs {model.output_shape}; cats vs. dogs needs one logit: end with Dense(1) "
            "(no activation — the loss takes logits)."
        )
    bases = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if not bases:
        _fail("No pretrained base inside the model: call MobileNetV2(..., include_top=False) on the input.")
    base = bases[0]
    if len(base.output_shape) != 2 or not isinstance(base.layers[-1], keras.layers.GlobalAveragePooling2D):
        _fail(
            f"The base outputs {base.output_shape} from a {base.layers[-1].__class__.__name__} layer: pass "
            'pooling="avg" to MobileNetV2 so it averages its grid into one 1,280-number vector per image.'
        )
    trainable, frozen = count(model.trainable_weights), count(model.non_trainable_weights)
    if count(base.trainable_weights):
        _fail(
            f"Your base still has {count(base.trainable_weights):,} trainable parameters: set "
            "`base.trainable = False` before compile()."
        )
    if trainable != POOLED_HEAD_PARAMS:
        _fail(
            f"{trainable:,} trainable parameters; a pooled 1,280-vector into Dense(1) has "
            f"{POOLED_HEAD_PARAMS:,} (1,280 weights + 1 bias). Is there an extra layer in the head?"
        )
    if frozen != MOBILENET_V2_PARAMS:
        _fail(f"{frozen:,} frozen parameters; MobileNetV2 (alpha 1.0) without its top has {MOBILENET_V2_PARAMS:,}.")
    return f"Right: {trainable:,} trainable and {frozen:,} frozen parameters; output {model.output_shape}."


#: Exercise 03: why a head trained on correctly prepared features loses accuracy when its model is served raw
#: [0, 255] pixels.  The check knows which one is right.
SERVED_RAW_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "channel_order": "raw pixels reach the base with their colour channels in the wrong order",
        "out_of_range": "the base was trained on inputs in [-1, 1]; values up to 255 give it features unlike the "
        "ones the head was fit on",
        "batchnorm_rescales": "little changes: the base's BatchNorm layers normalize the input's scale away",
        "too_few_images": "the head was trained on too few images to do well on new ones",
    }
)
_SERVED_RAW_RIGHT = "out_of_range"
#: Exercise 03: how far (in accuracy) a prediction may land from the measurement and still count.
PREDICTION_BAND = 0.10
#: Exercise 03: how many of the validation images the check scores itself to confirm a measurement.
_RESCORED = 32


def check_served_raw(
    predicted: Any,
    reason: Any,
    measured_correct: Any,
    *,
    served: Any,
    images: np.ndarray,
    labels: np.ndarray,
    right_correct: Any,
    band: float = PREDICTION_BAND,
) -> str:
    """Exercise 03: ``predicted`` (an accuracy, made before measuring) lies within ``band`` of what the head trained
    right scores when ``served`` raw pixels (``measured_correct``: one True/False per validation image, the learner's
    measurement, confirmed here on the first images), and ``reason`` is the key of :data:`SERVED_RAW_REASONS` that
    explains it.  ``right_correct``: the same head served right, on the same images.  Hints in two tiers."""
    import keras

    from .heads import correct_of_logits

    def fail(what: str, how: str) -> NoReturn:
        _fail_tiered("check_served_raw", what, how)

    look = (
        "compare what the base receives and what the head then says: x_val.min() and x_val.max() against "
        "preprocess_input(x_val.copy()).min() and .max(), and the share of images the served model calls dogs, "
        "(served.predict(x_val, verbose=0)[:, 0] > 0).mean()"
    )
    prediction = _fraction(predicted)
    if prediction is None:
        fail(
            f"PREDICTED_ACCURACY = {predicted!r} is not an accuracy: give a fraction between 0 and 1, such as 0.7.",
            "PREDICTED_ACCURACY = 0.7 (your own number), before you measure anything.",
        )
    if reason not in SERVED_RAW_REASONS:
        fail(
            f"REASON = {reason!r} is not one of the keys of SERVED_RAW_REASONS ({', '.join(SERVED_RAW_REASONS)}).",
            "REASON = the key whose sentence explains your prediction, e.g. REASON = 'channel_order' — if you think so.",
        )
    right = np.asarray(right_correct, dtype=bool)
    measurement = "served_correct = correct_predictions(served, x_val, y_val) (course_utils.evaluation)"
    flags = _correct_flags(measured_correct, len(right))
    if flags is None:
        fail(
            f"served_correct should hold one True/False per validation image ({len(right):,} of them), "
            f"got {type(measured_correct).__name__} of shape {np.shape(measured_correct)}.",
            measurement,
        )
    n = min(_RESCORED, len(right))
    logits = keras.ops.convert_to_numpy(served(np.asarray(images[:n], "float32"), training=False))
    rescored = correct_of_logits(logits, labels[:n])
    if np.sum(rescored != flags[:n]) > 1:
        fail(
            f"Your measurement disagrees with the served model on {int(np.sum(rescored != flags[:n]))} of the first "
            f"{n} validation images: it is not the served model's results on the raw validation pixels.",
            measurement,
        )
    measured, right_accuracy = float(flags.mean()), float(right.mean())
    if prediction - measured > band:
        fail(
            f"You predicted {prediction:.2f}; served raw pixels, the model scores {measured:.3f} on these "
            f"{len(flags):,} images (served right: {right_accuracy:.3f}) — {100 * (prediction - measured):.0f} points "
            f"below your prediction, outside the ±{100 * band:.0f}-point band. What was missed: how far raw pixels lie "
            "from what the base's weights were trained on, and that the head's decision rests on the features "
            "those weights compute.",
            look,
        )
    if measured - prediction > band:
        fail(
            f"You predicted {prediction:.2f}; served raw pixels, the model scores {measured:.3f} on these "
            f"{len(flags):,} images — {100 * (measured - prediction):.0f} points above your prediction, outside the "
            f"±{100 * band:.0f}-point band. What was missed: a two-class model whose features tell it nothing does not "
            "get every image wrong; giving most images the same answer, it is right about as often as chance.",
            look,
        )
    ruled_out = {
        "channel_order": "serving raw pixels changes their scale, not their order: R, G and B arrive as in training "
        "(only the caffe contract, ResNet50's, flips them to BGR).",
        "batchnorm_rescales": "at inference a BatchNorm layer normalizes with the statistics it stored in training, not "
        "with its input's own, so it does not undo an input 127.5 times too large.",
        "too_few_images": f"served right, the same head scores {right_accuracy:.3f} on these same new images: it "
        "generalizes when its input is prepared as in training.",
    }
    if reason != _SERVED_RAW_RIGHT:
        fail(
            f"Your prediction is within the band, but the measurements rule REASON = {reason!r} out: "
            f"{ruled_out[reason]}",
            look,
        )
    from .uncertainty import accuracy_interval

    return (
        f"Right: you predicted {prediction:.2f} and the model served raw pixels scores {accuracy_interval(flags)} "
        f"(served right: {right_accuracy:.3f}), within ±{100 * band:.0f} points, for the right reason: "
        f"{SERVED_RAW_REASONS[reason]}."
    )


#: Exercise 04: what might be wrong in a colleague's fine-tuning setup.  Their log and drift table rule all but one
#: out; the check knows which.
BATCHNORM_SUSPECTS: Mapping[str, str] = MappingProxyType(
    {
        "learning_rate": "Adam's learning rate, 1e-5, is too high: it wrecks the pretrained filters",
        "fine_tune_at": "unfreezing from layer 100 reaches too deep: the early layers are being overwritten",
        "no_recompile": "the model was compiled before the top was unfrozen, so fit() trains the head only",
        "batchnorm_trainable": "the BatchNormalization layers of the unfrozen top are trainable",
        "overfitting": "too few images: the gap between fit()'s accuracy and inference mode's is overfitting",
    }
)
_BATCHNORM_CULPRIT = "batchnorm_trainable"
_RULED_OUT = MappingProxyType(
    {
        "learning_rate": "among what moved are BatchNorm moving statistics — non-trainable weights, which no optimizer "
        "step changes, at any learning rate.",
        "fine_tune_at": "nothing before layer 100 moved, neither kernels nor statistics: what went wrong is in the "
        "layers that were meant to learn.",
        "no_recompile": "the kernels from layer 100 on changed: fit() did train the unfrozen top.",
        "overfitting": "inference mode scored the very images fit() trained on. Overfitting is about images a model "
        "did not train on; the same images scoring differently in fit() and in inference mode is something else.",
    }
)


def check_batchnorm_fix(
    wrong_setting: Any, model: Any, base: Any, x: np.ndarray, y: np.ndarray, *, fine_tune_at: int = 100
) -> dict[str, int]:
    """Exercise 04: ``wrong_setting`` names the culprit among :data:`BATCHNORM_SUSPECTS`, and the fixed setup —
    ``base`` unfrozen from ``fine_tune_at`` inside ``model``, compiled again — trains its unfrozen weights for one
    epoch on ``(x, y)`` without moving one BatchNorm statistic.  Hints in two tiers.

    Returns the counts it measured: ``bn_changed``, ``weights_changed`` and ``weights_unfrozen`` (how many weight
    tensors of the base outside BatchNorm are trainable)."""
    from .finetune import batchnorm_statistics, is_batchnorm, statistics_drift
    from .model_weights import changed, snapshot

    def fail(what: str, how: str) -> NoReturn:
        _fail_tiered("check_batchnorm_fix", what, how)

    if wrong_setting not in BATCHNORM_SUSPECTS:
        fail(
            f"WRONG_SETTING = {wrong_setting!r} is not one of the keys of SUSPECTS ({', '.join(BATCHNORM_SUSPECTS)}).",
            "WRONG_SETTING = the key whose sentence the log supports, e.g. WRONG_SETTING = 'learning_rate' — if it does.",
        )
    if wrong_setting != _BATCHNORM_CULPRIT:
        fail(
            f"The colleague's log rules {wrong_setting!r} out: {_RULED_OUT[wrong_setting]} Look again at what changed "
            "that an optimizer cannot change, and at why fit() and inference mode disagree on the same images.",
            "lesson 04, section 1: a BatchNormalization layer whose trainable is True runs in training mode under "
            "fit() — it normalizes with each batch's statistics and moves its moving ones; only trainable = False "
            "keeps it in inference mode on every Keras release. Read the table's BatchNorm rows with that rule.",
        )
    fix = (
        "for layer in base.layers: if isinstance(layer, keras.layers.BatchNormalization): layer.trainable = False "
        f"— or course_utils.finetune.unfreeze_top(base, {fine_tune_at}) — then model.compile(...) again"
    )
    layers = list(base.layers)
    trainable_bn = [layer.name for layer in layers[fine_tune_at:] if is_batchnorm(layer) and layer.trainable]
    if trainable_bn:
        fail(
            f"Right diagnosis, but {len(trainable_bn)} BatchNormalization layer(s) of the unfrozen top are still "
            f"trainable (first: {trainable_bn[0]!r}).",
            fix,
        )
    stiff = [
        layer.name
        for layer in layers[fine_tune_at:]
        if layer.weights and not is_batchnorm(layer) and not layer.trainable
    ]
    if stiff:
        fail(
            f"{len(stiff)} layer(s) from layer {fine_tune_at} on that should learn are frozen (first: {stiff[0]!r}): "
            "the fix freezes BatchNorm only, the rest of the top keeps learning.",
            fix,
        )
    loose = [layer.name for layer in layers[:fine_tune_at] if layer.trainable and layer.weights]
    if loose:
        fail(f"{len(loose)} layer(s) before layer {fine_tune_at} are trainable (first: {loose[0]!r}).", fix)
    if not getattr(model, "compiled", False):
        fail(
            "The model is not compiled: fit() needs an optimizer that knows what is trainable now.",
            "model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=..., metrics=...) after changing trainable.",
        )
    trainable = [w for layer in layers if not is_batchnorm(layer) for w in layer.trainable_weights]
    stats, weights = batchnorm_statistics(base), snapshot(trainable)
    eager, model.run_eagerly = model.run_eagerly, True  # a step or two: quicker run eagerly than traced into a graph
    try:
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # a training step fit() built before still runs as built
    finally:
        model.run_eagerly = eager
    bn_changed = sum(d > 0 for d in statistics_drift(stats, base).values())
    weights_changed = changed(weights, trainable)
    if bn_changed:
        fail(
            f"The BatchNorm layers are frozen now, yet the check's training moved the statistics of {bn_changed} of them: "
            "fit() is still running the training step it built before your change.",
            "compile the model again after changing trainable (lesson 02): model.compile(optimizer="
            "keras.optimizers.Adam(1e-5), loss=..., metrics=...).",
        )
    if not weights_changed:
        fail(
            "The check's training changed none of the unfrozen top's weights: fit() trains what the last compile saw.",
            "set trainable first, then model.compile(...) (lesson 02).",
        )
    return {"bn_changed": bn_changed, "weights_changed": weights_changed, "weights_unfrozen": len(trainable)}


def _pretrained_base(model: Any, hint: str) -> Any:
    """The pretrained base nested in ``model`` (the first sub-model with many layers); fails with ``hint``."""
    nested = [layer for layer in model.layers if hasattr(layer, "layers") and len(layer.layers) > 20]
    if not nested:
        _fail(f"The model has no pretrained base inside it: {hint}.")
    return nested[0]


def _require_frozen(base: Any, variable: str) -> None:
    if base.trainable_weights:
        _fail(
            f"The base still has {count(base.trainable_weights):,} trainable weights: set "
            f"{variable}.trainable = False before compile() — phase 1 trains the head only."
        )


def _learning_rate(model: Any) -> float:
    import keras

    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def _starts_a_block(names: Sequence[str], index: int) -> bool:
    """Whether layer ``index`` is the first of a block: MobileNetV2's ``block_N_expand`` or ``Conv_1``, or,
    for other families, the first layer whose name shows a new block (:func:`finetune.block_of`)."""
    from .finetune import block_of

    name = names[index]
    if name.endswith("_expand") or name == "Conv_1":
        return True
    return block_of(name) is not None and block_of(name) != block_of(names[index - 1])


def check_fine_tune_setup(
    model: Any,
    base: Any,
    fine_tune_at: int | str,
    *,
    learning_rate: float | None = None,
    max_learning_rate: float = 1e-4,
) -> dict[str, int]:
    """Exercise 05: ``base`` unfrozen from ``fine_tune_at`` (a block's first layer), BatchNorm frozen,
    ``model`` compiled with a learning rate at most ``max_learning_rate`` — the learner's ``learning_rate``,
    when given.  Hints in two tiers (:func:`_fail_tiered`).

    Returns ``{"fine_tune_index", "trainable_layers"}``.
    """
    from .finetune import is_batchnorm

    def fail(what: str, how: str) -> NoReturn:
        _fail_tiered("check_fine_tune_setup", what, how)

    names = [layer.name for layer in base.layers]
    choose = "pick a block's first layer by name: [l.name for l in base.layers if l.name.endswith('_expand')]"
    if isinstance(fine_tune_at, bool) or not isinstance(fine_tune_at, (int, str)):
        fail(f"FINE_TUNE_AT = {fine_tune_at!r} is neither a layer's name nor its index in base.layers.", choose)
    if isinstance(fine_tune_at, int) and not 0 < fine_tune_at < len(names):
        fail(f"FINE_TUNE_AT = {fine_tune_at} is outside 1..{len(names) - 1}, the layers of the base.", choose)
    if isinstance(fine_tune_at, str) and fine_tune_at not in names:
        fail(
            f"FINE_TUNE_AT = {fine_tune_at!r} is not a layer of the base (a typo, or another network's name?).", choose
        )
    index = names.index(fine_tune_at) if isinstance(fine_tune_at, str) else fine_tune_at
    start = names[index]
    if not _starts_a_block(names, index):
        fail(
            f"Layer {index} ({start!r}) is in the middle of a block: part of that block would learn, part not.",
            f"start at a block's first layer ('block_N_expand'), so that a whole block learns together; {choose}",
        )
    unfreeze = "course_utils.finetune.unfreeze_top(base, FINE_TUNE_AT), then compile again"
    frozen_below = [layer.name for layer in base.layers[:index] if layer.trainable and layer.weights]
    if frozen_below:
        fail(
            f"{len(frozen_below)} layer(s) before {start!r} are still trainable (first: {frozen_below[0]!r}): "
            "only the top of the base should learn.",
            f"{unfreeze}: it freezes every layer before FINE_TUNE_AT.",
        )
    top = [layer for layer in base.layers[index:] if layer.weights]
    if any(is_batchnorm(layer) and layer.trainable for layer in top):
        fail(
            "BatchNorm layers in the unfrozen top are trainable: fit() would run them in training mode (lesson 04).",
            f"{unfreeze}: it keeps every BatchNormalization layer at trainable = False.",
        )
    stiff = [layer.name for layer in top if not is_batchnorm(layer) and not layer.trainable]
    if stiff:
        fail(
            f"{len(stiff)} layer(s) from {start!r} on are still frozen (first: {stiff[0]!r}): they cannot learn.",
            f"set base.trainable = True before unfreezing the top — {unfreeze} does both.",
        )
    if not getattr(model, "compiled", False) or model.optimizer is None:
        fail(
            "The model is not compiled: fit() needs an optimizer that knows the newly trainable weights.",
            "model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=..., metrics=...) after unfreezing.",
        )
    rate = _learning_rate(model)
    if learning_rate is not None and not np.isclose(rate, float(learning_rate), rtol=1e-3):
        fail(
            f"The model is compiled at a learning rate of {rate:g}, but LEARNING_RATE = {learning_rate!r}.",
            "compile with keras.optimizers.Adam(learning_rate=LEARNING_RATE) after unfreezing.",
        )
    if rate > max_learning_rate:
        fail(
            f"The learning rate is {rate:g}: at that rate the first steps on a new head's gradients wreck the "
            "pretrained filters the top of the base starts from.",
            "fine-tune 10-100x below phase 1's 1e-3: keras.optimizers.Adam(learning_rate=1e-5) (at most 1e-4).",
        )
    return {"fine_tune_index": index, "trainable_layers": sum(layer.trainable for layer in top)}


#: Exercise 05: what the paired comparison of the fine-tuned model with phase 1 can conclude — the three values of
#: :attr:`course_utils.uncertainty.Comparison.verdict` for a comparison named "fine-tuning" against "phase 1".
VERDICTS = ("fine-tuning ahead beyond noise", "within noise", "phase 1 ahead beyond noise")


def check_fine_tune_report(report: Any, verdict: Any, tuned_correct: Any, phase1_correct: Any) -> str:
    """Exercise 05: ``report`` is the paired comparison (:func:`course_utils.uncertainty.compare`) of the fine-tuned
    model (A) with phase 1 (B) on the same validation images, given one True/False per image for each, and
    ``verdict`` (one of :data:`VERDICTS`) is what its 95% interval supports.  Hints in two tiers."""
    from .uncertainty import Accuracy, Comparison, compare

    def fail(what: str, how: str) -> NoReturn:
        _fail_tiered("check_fine_tune_report", what, how)

    pair = "versus_phase1 = compare(tuned_correct, phase1_correct, 'fine-tuned', 'phase 1') (course_utils.uncertainty)"
    tuned, phase1 = np.asarray(tuned_correct, dtype=bool), np.asarray(phase1_correct, dtype=bool)
    expected = compare(tuned, phase1, "fine-tuning", "phase 1")  # its .verdict is one of VERDICTS
    if isinstance(report, (int, float, np.floating)) and not isinstance(report, bool):
        fail(
            f"versus_phase1 = {float(report):.4g} is one number: a difference of {len(tuned):,} images' accuracies "
            "without its interval cannot say whether it is more than the luck of which images were drawn.",
            pair,
        )
    if isinstance(report, (tuple, list)) and any(isinstance(item, Accuracy) for item in report):
        fail(
            "versus_phase1 holds one interval per model: two overlapping intervals do not show a tie, because both "
            "models were scored on the same images — only the images where they disagree decide the difference.",
            pair,
        )
    if not isinstance(report, Comparison):
        fail(f"versus_phase1 is a {type(report).__name__}, not a paired comparison with its interval.", pair)
    if report.n != expected.n:
        fail(
            f"The comparison covers {report.n:,} images; the two models were scored on the same {expected.n:,} "
            "validation images.",
            f"{pair} — the validation images' results, in the same order for both.",
        )
    if np.isclose(report.difference, -expected.difference) and not np.isclose(expected.difference, 0):
        fail(
            "The comparison runs the wrong way: its difference is phase 1 minus the fine-tuned model, so its "
            "sign — and the verdict you read off it — is reversed.",
            f"the fine-tuned model first: {pair}",
        )
    if not (np.isclose(report.difference, expected.difference) and np.isclose(report.low, expected.low)):
        fail(
            f"The comparison ({report.accuracy_a:.3f} vs {report.accuracy_b:.3f}) is not of these two models' results: "
            f"fine-tuned {expected.accuracy_a:.3f}, phase 1 {expected.accuracy_b:.3f} on the same images.",
            pair,
        )
    if verdict not in VERDICTS:
        fail(
            f"VERDICT = {verdict!r} is not one of {list(VERDICTS)}.",
            "VERDICT = one of VERDICTS, read off the interval.",
        )
    if verdict != expected.verdict:
        fail(
            f"VERDICT = {verdict!r} does not follow from the interval [{100 * expected.low:+.1f}, "
            f"{100 * expected.high:+.1f}] points: read where the whole interval lies, not the difference alone.",
            "beyond noise only when the whole interval lies on one side of zero: versus_phase1.low > 0 for fine-tuning, "
            "versus_phase1.high < 0 for phase 1, otherwise within noise (versus_phase1.verdict says the same).",
        )
    return (
        f"Right: fine-tuned {expected.accuracy_a:.3f} vs phase 1 {expected.accuracy_b:.3f} on the same {expected.n:,} "
        f"images, {100 * expected.difference:+.1f} points [{100 * expected.low:+.1f}, {100 * expected.high:+.1f}]: "
        f"{verdict} (one training run)."
    )


def check_backbone_swap(model: Any, name: Any, *, original: str = "MobileNetV2") -> str:
    """Exercise 06: ``model`` is built on backbone ``name`` (not ``original``), with that backbone's
    preprocessing layer inside it, a frozen base and one output logit."""
    from .backbones import get
    from .backbones import names as backbone_names

    if name not in backbone_names():
        _fail(f"{name!r} is not a registered backbone; pick one of {', '.join(backbone_names())}.")
    if name == original:
        _fail(f"{original} is the lesson's backbone: swap in another one, such as 'MobileNet-0.75'.")
    backbone = get(name)
    expected = backbone.preprocessing()
    layers = list(model.layers)
    same = [
        layer
        for layer in layers
        if type(layer) is type(expected)
        and {k: v for k, v in layer.get_config().items() if k != "name"}
        == {k: v for k, v in expected.get_config().items() if k != "name"}
    ]
    if not same:
        _fail(
            f"No layer of the model applies {name}'s contract ({backbone.contract_text}): put "
            f"backbones.get({name!r}).preprocessing() between the input and the base."
        )
    base = _pretrained_base(model, "create it with backbones.get(NAME).create(IMG_SHAPE, ...)")
    expected_params = backbone.create(tuple(base.input_shape[1:]), weights=None).count_params()
    if base.count_params() != expected_params:
        _fail(
            f"The base inside the model has {base.count_params():,} parameters, but {name} has "
            f"{expected_params:,}: create the base from the same name, backbones.get({name!r}).create(...)."
        )
    _require_frozen(base, "base")
    if tuple(model.output_shape) != (None, 1):
        _fail(f"The model's output shape is {model.output_shape}; cats vs. dogs needs one logit: Dense(1).")
    return f"Right: {name} with its own preprocessing ({backbone.contract_text}) and a frozen base."


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
    from .uncertainty import compare

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


def check_multiclass_model(model: Any, n_classes: int) -> str:
    """Capstone exercise: ``model`` ends in ``n_classes`` logits, is compiled with
    ``SparseCategoricalCrossentropy(from_logits=True)``, and its pretrained base is frozen."""
    import keras

    if tuple(model.output_shape) != (None, n_classes):
        _fail(
            f"The model's output shape is {model.output_shape}; {n_classes} classes need "
            f"{n_classes} logits: end with keras.layers.Dense({n_classes})."
        )
    last = model.layers[-1]
    if getattr(last, "activation", None) not in (None, keras.activations.linear):
        _fail(
            f"The last layer applies {last.activation.__name__}: leave it linear (logits) and let the loss "
            "apply the softmax (from_logits=True) — numerically safer."
        )
    if not getattr(model, "compiled", False):
        _fail("The model is not compiled: call model.compile(optimizer=..., loss=..., metrics=['accuracy']).")
    loss = model.loss
    if not isinstance(loss, keras.losses.SparseCategoricalCrossentropy):
        _fail(
            f"The loss is {loss!r}: integer labels 0..{n_classes - 1} need "
            "keras.losses.SparseCategoricalCrossentropy(from_logits=True) (BinaryCrossentropy is for two classes, "
            "CategoricalCrossentropy for one-hot labels)."
        )
    if not loss.get_config().get("from_logits"):
        _fail("The loss expects probabilities but the model outputs logits: pass from_logits=True.")
    base = _pretrained_base(model, "call base_model(x, training=False) between the preprocessing layer and the pooling")
    if not any(isinstance(layer, keras.layers.GlobalAveragePooling2D) for layer in model.layers):
        _fail("The model has no GlobalAveragePooling2D layer: pool the base's feature maps before the head.")
    _require_frozen(base, "base_model")
    return f"Right: {n_classes} logits, SparseCategoricalCrossentropy(from_logits=True), frozen base."


def _split_range(spec: Any, info: Any) -> tuple[int, int]:
    """``spec`` (a TFDS split string) as absolute ``[start, stop)`` indices of the ``train`` split."""
    import tensorflow_datasets as tfds

    if not isinstance(spec, str):
        _fail(f"{spec!r} is not a split string: write one such as 'train[:80%]'.")
    try:
        (instruction,) = tfds.core.ReadInstruction.from_spec(spec).to_absolute(info.splits)
    except Exception as error:  # TFDS says what it could not parse
        _fail(f"{spec!r} is not a split TFDS understands ({error}); the syntax is 'train[80%:90%]'.")
    if instruction.splitname != "train":
        _fail(f"{spec!r} reads the {instruction.splitname!r} split; tf_flowers has only 'train': slice it.")
    total = info.splits["train"].num_examples
    return instruction.from_ or 0, total if instruction.to is None else instruction.to


def check_flowers_split(splits: Any, info: Any, datasets: Any, class_names: Any) -> str:
    """Capstone exercise, step 1: three TFDS split strings giving 80/10/10 of ``tf_flowers``'s
    ``train`` split, disjoint; ``datasets`` loaded from them as ``(image, label)`` pairs; 5 classes."""
    if not isinstance(splits, (list, tuple)) or len(splits) != 3:
        _fail(f"SPLITS = {splits!r}: give three split strings, training, validation, test: ['train[:80%]', ...].")
    total = info.splits["train"].num_examples
    ranges = [_split_range(spec, info) for spec in splits]
    for (name, share), spec, (start, stop) in zip(
        (("training", 0.8), ("validation", 0.1), ("test", 0.1)), splits, ranges, strict=True
    ):
        if abs((stop - start) / total - share) > 0.01:
            _fail(
                f"{spec!r} holds {stop - start:,} of {total:,} photos ({(stop - start) / total:.0%}); the {name} "
                f"split should hold {share:.0%} of them."
            )
    ordered = sorted(zip(ranges, splits, strict=True))
    for ((_, stop), first), ((start, _), second) in zip(ordered, ordered[1:], strict=False):
        if start < stop:
            _fail(
                f"{first!r} and {second!r} overlap ({stop - start:,} photos in both): a photo used for training or "
                "for choosing epochs must never be scored as a test photo. Make the slices meet end to start."
            )
    if not isinstance(datasets, (list, tuple)) or len(datasets) != 3:
        _fail("Pass the three datasets (train_raw, val_raw, test_raw) that tfds.load returned for SPLITS.")
    for spec, dataset, (start, stop) in zip(splits, datasets, ranges, strict=True):
        element = getattr(dataset, "element_spec", None)
        if not isinstance(element, tuple) or len(element) != 2:
            _fail("The datasets yield dictionaries, not (image, label) pairs: pass as_supervised=True to tfds.load.")
        if int(dataset.cardinality()) != stop - start:
            _fail(
                f"A dataset holds {int(dataset.cardinality()):,} photos where {spec!r} holds {stop - start:,}: "
                "load the datasets with split=SPLITS, in that order."
            )
    if len(class_names) != 5:
        _fail(f"class_names has {len(class_names)} names; tf_flowers has 5: info.features['label'].names.")
    sizes = " / ".join(f"{stop - start:,}" for start, stop in ranges)
    return f"Right: {sizes} photos (80/10/10), disjoint, {len(class_names)} classes."


def _passes(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two passes over a batched ``(images, labels)`` dataset: the labels of each, in order."""
    return tuple(np.concatenate([np.asarray(y) for _, y in dataset]) for _ in range(2))


def check_flowers_pipeline(train_ds: Any, val_ds: Any, image_size: int) -> str:
    """Capstone exercise, step 2: batched ``(images, labels)`` at ``image_size``, pixels in [0, 255];
    the training batches in a new order every epoch (the same photos), validation in a fixed order."""
    for name, dataset in (("train_ds", train_ds), ("val_ds", val_ds)):
        spec = getattr(dataset, "element_spec", None)
        if not isinstance(spec, tuple) or len(spec) != 2:
            _fail(f"{name} should yield (images, labels) pairs: load the splits with as_supervised=True.")
        if spec[0].shape.rank != 4:
            _fail(f"{name} yields single images of shape {spec[0].shape}: batch them (.batch(cfg.batch_size)).")
        if int(dataset.cardinality()) == -1:  # tf.data.INFINITE_CARDINALITY
            _fail(
                f"{name} repeats for ever (.repeat()): remove it — fit counts epochs itself, and this check would hang."
            )
        images, _ = next(iter(dataset))
        if tuple(images.shape[1:]) != (image_size, image_size, 3):
            _fail(
                f"{name}'s images are {tuple(images.shape[1:])}; resize them to ({image_size}, {image_size}) in the "
                "pipeline: tf.image.resize(image, IMG_SIZE) in a .map."
            )
        low, high = float(np.min(images)), float(np.max(images))
        if low < -0.5 or high <= 1.5 or high > 255.5:
            _fail(
                f"{name}'s pixels lie in [{low:.2f}, {high:.2f}]: keep them in [0, 255] — the model applies the "
                "backbone's preprocessing itself, so scaling them here would preprocess twice (lesson 03)."
            )
    first, second = _passes(train_ds)
    if len(first) != len(second) or not np.array_equal(np.sort(first), np.sort(second)):
        _fail(
            f"Two epochs of train_ds saw different photos ({len(first)} and {len(second)} labels, not the same "
            "ones): take(limit) and cache() come before the shuffle, so every epoch reshuffles the same photos."
        )
    if np.array_equal(first, second):
        _fail(
            "Two passes over train_ds give the photos in the same order: the training set must be reshuffled every "
            "epoch. cache() first, then shuffle(n, reshuffle_each_iteration=True), then batch and prefetch — "
            "a shuffle placed before cache() is replayed as it was in epoch 1."
        )
    val_first, val_second = _passes(val_ds)
    if not np.array_equal(val_first, val_second):
        _fail(
            "val_ds gives its photos in a different order on each pass: never shuffle validation (or test) data, "
            "so that predictions line up with the labels read in another pass."
        )
    return (
        f"Right: {len(first):,} training photos reshuffled every epoch, {len(val_first):,} validation photos in a "
        f"fixed order, {image_size}x{image_size} pixels in [0, 255]."
    )


def _optimizer_steps(model: Any) -> int:
    import keras

    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


def check_head_trained(model: Any, base: Any, history: Any) -> str:
    """Capstone exercise, step 4: ``model.fit`` ran at a phase-1 learning rate on a frozen ``base``,
    with validation data.  Whether the head learned enough is the notebook's accuracy threshold."""
    _require_frozen(base, "base_model")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        _fail("The model is not compiled: compile it (step 3) before fit.")
    steps = _optimizer_steps(model)
    epochs = getattr(history, "history", None)
    if not isinstance(epochs, dict) or steps == 0:
        _fail("No training yet: history = model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs).")
    if not epochs.get("val_accuracy"):
        _fail("fit saw no validation data: pass validation_data=val_ds, so each epoch reports val_accuracy.")
    rate = _learning_rate(model)
    if not 1e-4 <= rate <= 1e-2:
        _fail(f"Phase 1 trained at a learning rate of {rate:g}: a new head trains at 1e-3 (Adam's default).")
    return (
        f"Right: the head trained for {len(epochs['val_accuracy'])} epoch(s) ({steps} steps) at {rate:g} on a frozen "
        f"base; validation accuracy {epochs['val_accuracy'][-1]:.3f}."
    )


def check_phase2_setup(model: Any, base: Any, fine_tune_at: Any, learning_rate: float = 1e-5) -> str:
    """Capstone exercise, step 5: ``base`` unfrozen from a block's first layer with BatchNorm frozen
    (:func:`check_fine_tune_setup`), and ``model`` recompiled — a new optimizer — at ``learning_rate``."""
    result = check_fine_tune_setup(model, base, fine_tune_at, max_learning_rate=float("inf"))
    steps = _optimizer_steps(model)
    if steps:
        _fail(
            f"The optimizer has already taken {steps} steps: it is phase 1's. Compile the model again after "
            "changing what is trainable — compile is what makes fit train the newly unfrozen layers."
        )
    rate = _learning_rate(model)
    if not np.isclose(rate, learning_rate, rtol=1e-3):
        _fail(
            f"The learning rate is {rate:g}; the capstone fine-tunes at {learning_rate:g}, 100x below phase 1's 1e-3, "
            "so the pretrained filters move only a little."
        )
    return (
        f"Right: {result['trainable_layers']} layers from layer {result['fine_tune_index']} "
        f"({base.layers[result['fine_tune_index']].name}) will learn, BatchNorm frozen, recompiled at {rate:g}."
    )
