"""Exercise 08, the tf_flowers capstone: the model, the split, the pipeline, the head trained, phase 2 set up."""

from __future__ import annotations

from typing import Any

import numpy as np

from .fine_tuning import _learning_rate, _pretrained_base, _require_frozen, check_fine_tune_setup
from .hints import _fail


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
