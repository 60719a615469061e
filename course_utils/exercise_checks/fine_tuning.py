"""Exercises 04-06: the BatchNorm trap in a colleague's setup, where to unfreeze and what it bought, a backbone
swapped with its contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NoReturn

import numpy as np

from ..model_weights import count
from .hints import _fail, _fail_tiered

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
    from ..finetune import batchnorm_statistics, is_batchnorm, statistics_drift
    from ..model_weights import changed, snapshot

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
    from ..finetune import block_of

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
    from ..finetune import is_batchnorm

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
    from ..uncertainty import Accuracy, Comparison, compare

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
    from ..backbones import get
    from ..backbones import names as backbone_names

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
