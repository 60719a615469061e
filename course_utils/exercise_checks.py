"""Checks for the exercises: each verifies a learner's answer and, when wrong, says how to fix it.

A check returns a short confirmation when the answer is right and raises :class:`CheckFailed`
(an ``AssertionError``) with a hint when it is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from .model_weights import count

MOBILENET_V2_PARAMS = 2_257_984
POOLED_HEAD_PARAMS = 1_281


class CheckFailed(AssertionError):
    """The answer is not right yet; the message says what to change."""


def _fail(message: str) -> NoReturn:
    raise CheckFailed(message)


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


#: Exercise 03: each backbone, the module whose preprocess_input is its contract, and what it does.
CONTRACTS = {
    "MobileNetV2": ("mobilenet_v2", 'scales pixels to [-1, 1] ("tf" mode)'),
    "ResNet50": ("resnet50", 'flips RGB to BGR and subtracts the ImageNet channel means, no scaling ("caffe" mode)'),
    "DenseNet121": (
        "densenet",
        'scales to [0, 1], then normalizes each channel by ImageNet mean and std ("torch" mode)',
    ),
    "EfficientNetV2B0": ("efficientnet_v2", "passes raw [0, 255] pixels through: the model rescales inside"),
}


def _contract_problem(name: str, choice: Any) -> str | None:
    """Why ``choice`` is not ``name``'s contract, or None if it is."""
    import keras

    module, what = CONTRACTS[name]
    probe = np.linspace(0, 255, 2 * 2 * 3, dtype="float32").reshape(1, 2, 2, 3)
    reference = getattr(keras.applications, module).preprocess_input(probe.copy())
    try:
        got = np.asarray(choice(probe.copy()))
    except Exception as error:
        return f"{name}: calling your function on a batch of pixels failed ({error})."
    if got.shape == reference.shape and np.allclose(got, reference, atol=1e-4):
        return None
    return (
        f"{name}'s contract {what}; your function gives values in [{got.min():.2f}, {got.max():.2f}] "
        f"where [{reference.min():.2f}, {reference.max():.2f}] is expected. Use "
        f"keras.applications.{module}.preprocess_input — always the backbone's own module."
    )


def contracts_matching(choices: dict) -> list[str]:
    """The backbones whose chosen function matches their contract."""
    return [name for name in CONTRACTS if name in choices and _contract_problem(name, choices[name]) is None]


def check_contracts(choices: Any) -> str:
    """Exercise 03: ``choices`` maps each backbone name to a function that prepares its input."""
    if not isinstance(choices, dict):
        _fail('`choices` should be a dict: {"MobileNetV2": some_preprocess_function, ...}.')
    missing = [name for name in CONTRACTS if name not in choices]
    if missing:
        _fail(f"No choice yet for {', '.join(missing)}: add a key for every backbone.")
    for name in CONTRACTS:
        problem = _contract_problem(name, choices[name])
        if problem:
            _fail(problem)
    return f"Right: all {len(CONTRACTS)} contracts match their backbones' own preprocess_input."


def check_batchnorm_safe(model: Any, base: Any, x: np.ndarray, y: np.ndarray) -> dict[str, int]:
    """Exercise 04: one training epoch on ``(x, y)`` must move the base's unfrozen weights but no
    BatchNorm statistic.  Returns the counts it measured (``bn_changed``, ``weights_changed``)."""
    from .finetune import batchnorm_statistics, is_batchnorm, statistics_drift
    from .model_weights import changed, snapshot

    if not getattr(model, "compiled", False):
        _fail("The model is not compiled: call model.compile(...) after changing what is trainable.")
    trainable = [w for layer in base.layers if not is_batchnorm(layer) for w in layer.trainable_weights]
    if not trainable:
        _fail(
            "Nothing in the base is trainable: fine-tuning needs the top layers unfrozen "
            "(for example from layer 100 on) — only the BatchNorm layers stay frozen."
        )
    stats, weights = batchnorm_statistics(base), snapshot(trainable)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    bn_changed = sum(d > 0 for d in statistics_drift(stats, base).values())
    weights_changed = changed(weights, trainable)
    if bn_changed:
        _fail(
            f"One epoch changed the moving statistics of {bn_changed} BatchNorm layer(s): they are trainable, "
            "so fit() runs them in training mode — and in a functional model training=False does not stop it. "
            "Set every BatchNorm layer's trainable to False (course_utils.finetune.unfreeze_top does it), "
            "then compile again."
        )
    if not weights_changed:
        _fail("The unfrozen layers did not change: did you compile *after* setting trainable?")
    return {"bn_changed": bn_changed, "weights_changed": weights_changed}


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


def check_fine_tune_setup(
    model: Any, base: Any, fine_tune_at: int | str, *, avoid: str | None = None, max_learning_rate: float = 1e-4
) -> dict[str, int]:
    """Exercise 05: ``base`` unfrozen from ``fine_tune_at`` (a block's first layer), BatchNorm frozen,
    ``model`` compiled with a learning rate at most ``max_learning_rate``.

    ``avoid`` names a starting layer the exercise asks not to reuse (the lesson's own).
    Returns ``{"fine_tune_index", "trainable_layers"}``.
    """
    from .finetune import is_batchnorm

    names = [layer.name for layer in base.layers]
    if isinstance(fine_tune_at, bool) or not isinstance(fine_tune_at, (int, str)):
        _fail(f"FINE_TUNE_AT = {fine_tune_at!r}: give a layer name such as 'block_13_expand' (or its index).")
    if isinstance(fine_tune_at, int) and not 0 < fine_tune_at < len(names):
        _fail(
            f"FINE_TUNE_AT = {fine_tune_at} is outside 1..{len(names) - 1}, the layers of the base; "
            "pick a block's first layer such as 'block_13_expand'."
        )
    if isinstance(fine_tune_at, str) and fine_tune_at not in names:
        _fail(
            f"FINE_TUNE_AT = {fine_tune_at!r} is not a layer of the base; print [l.name for l in base.layers] "
            "and pick the first layer of a block, such as 'block_13_expand'."
        )
    index = names.index(fine_tune_at) if isinstance(fine_tune_at, str) else fine_tune_at
    start = names[index]
    if avoid is not None and start == avoid:
        _fail(f"{avoid!r} is where the lesson started; pick a different block to compare with it.")
    if not start.endswith("_expand") and start != "Conv_1":
        _fail(
            f"Layer {index} ({start!r}) is in the middle of a block: start at a block's first layer "
            "('block_N_expand'), so that a whole block learns together."
        )
    frozen_below = [layer.name for layer in base.layers[:index] if layer.trainable and layer.weights]
    if frozen_below:
        _fail(
            f"{len(frozen_below)} layer(s) before {names[index]!r} are still trainable (first: {frozen_below[0]!r}): "
            "only the top of the base should learn. unfreeze_top(base, FINE_TUNE_AT) freezes them."
        )
    top = [layer for layer in base.layers[index:] if layer.weights]
    if any(is_batchnorm(layer) and layer.trainable for layer in top):
        _fail(
            "BatchNorm layers in the unfrozen top are trainable: keep them frozen (lesson 04) — "
            "unfreeze_top(base, FINE_TUNE_AT) does that."
        )
    stiff = [layer.name for layer in top if not is_batchnorm(layer) and not layer.trainable]
    if stiff:
        _fail(
            f"{len(stiff)} layer(s) from {names[index]!r} on are still frozen (first: {stiff[0]!r}): "
            "set base.trainable = True before unfreezing the top (unfreeze_top does it)."
        )
    if not getattr(model, "compiled", False) or model.optimizer is None:
        _fail("The model is not compiled: call model.compile(...) after changing what is trainable.")
    rate = _learning_rate(model)
    if rate > max_learning_rate:
        _fail(
            f"The learning rate is {rate:g}: fine-tuning needs one 10-100x lower than phase 1's 1e-3 "
            "(for example keras.optimizers.Adam(learning_rate=1e-5)), or it wrecks the pretrained filters."
        )
    return {"fine_tune_index": index, "trainable_layers": sum(layer.trainable for layer in top)}


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


def check_grayscale_pipeline(to_input: Any, size: int = 96) -> str:
    """Exercise 07: ``to_input(images)`` turns (n, 28, 28) uint8 icons into MobileNetV2 input:
    (n, size, size, 3), the same value in R, G and B, scaled to [-1, 1]."""
    from keras.applications.mobilenet_v2 import preprocess_input

    icons = np.zeros((2, 28, 28), dtype="uint8")
    icons[:, 8:20, 8:20] = 255
    icons[1, 10:12, :] = 128
    try:
        out = np.asarray(to_input(icons.copy()), dtype="float32")
    except NotImplementedError:
        raise  # the exercise's placeholder: its message says what to write
    except Exception as error:
        _fail(
            f"to_rgb_input raised {type(error).__name__}: {error}. It receives a uint8 array of shape "
            "(n, 28, 28) and should return an array or tensor of shape (n, size, size, 3)."
        )
    if out.shape != (2, size, size, 3):
        _fail(
            f"The output shape is {out.shape}; MobileNetV2 needs (n, {size}, {size}, 3): resize with "
            f"tf.image.resize(x, ({size}, {size})) and copy the gray channel to RGB with tf.image.grayscale_to_rgb."
        )
    if not (np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])):
        _fail("R, G and B differ: a grayscale icon becomes RGB by copying its one channel three times.")
    if out.min() < -1.001 or out.max() > 1.001 or out.min() > -0.9:
        _fail(
            f"Values run from {out.min():.2f} to {out.max():.2f}; MobileNetV2 expects [-1, 1] — apply "
            "keras.applications.mobilenet_v2.preprocess_input to the [0, 255] pixels (once)."
        )
    import tensorflow as tf

    reference = preprocess_input(
        tf.image.grayscale_to_rgb(tf.image.resize(icons[..., None].astype("float32"), (size, size))).numpy()
    )
    if np.abs(out - reference).mean() > 0.05:
        _fail(
            "The values differ from resize -> grayscale_to_rgb -> preprocess_input on [0, 255] pixels: "
            "use tf.image.resize (bilinear) on float pixels, and apply preprocess_input exactly once."
        )
    return f"Right: (n, 28, 28) uint8 -> (n, {size}, {size}, 3) in [-1, 1], R = G = B."


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
