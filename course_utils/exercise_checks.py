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
    BatchNorm statistic.  Returns the counts it measured: ``bn_changed``, ``weights_changed`` and
    ``weights_unfrozen`` (how many weight tensors of the base outside BatchNorm are trainable)."""
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
    if not _starts_a_block(names, index):
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
