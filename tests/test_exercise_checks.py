"""Each exercise check accepts a right answer and explains what is wrong with a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercise_checks
from course_utils.exercise_checks import hints

TAPS = ["block_6", "block_13", "block_16", "out_relu"]
ACC = [0.70, 0.91, 0.95, 0.96]


def test_shallowest_layer_check():
    assert "block_13" in exercise_checks.check_shallowest_layer("block_13", TAPS, ACC, 0.9)
    with pytest.raises(exercise_checks.CheckFailed, match="comes earlier"):
        exercise_checks.check_shallowest_layer("out_relu", TAPS, ACC, 0.9)
    with pytest.raises(exercise_checks.CheckFailed, match="below the target"):
        exercise_checks.check_shallowest_layer("block_6", TAPS, ACC, 0.9)
    with pytest.raises(exercise_checks.CheckFailed, match="a string"):
        exercise_checks.check_shallowest_layer(1, TAPS, ACC, 0.9)


def _pooled_model(frozen=True, pooling="avg", extra_dense=False):
    import keras

    base = keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False, weights=None, pooling=pooling)
    base.trainable = not frozen
    inputs = keras.Input((160, 160, 3))
    x = base(inputs, training=False)
    if pooling is None:
        x = keras.layers.GlobalAveragePooling2D()(x)
    if extra_dense:
        x = keras.layers.Dense(8)(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def test_pooled_model_check_accepts_the_right_model_and_explains_wrong_ones():
    assert "1,281 trainable" in exercise_checks.check_pooled_model(_pooled_model())
    with pytest.raises(exercise_checks.CheckFailed, match="base.trainable = False"):
        exercise_checks.check_pooled_model(_pooled_model(frozen=False))
    with pytest.raises(exercise_checks.CheckFailed, match='pooling="avg"'):
        exercise_checks.check_pooled_model(_pooled_model(pooling=None))
    with pytest.raises(exercise_checks.CheckFailed, match="extra layer"):
        exercise_checks.check_pooled_model(_pooled_model(extra_dense=True))
    with pytest.raises(exercise_checks.CheckFailed, match="keras.Model"):
        exercise_checks.check_pooled_model("model")


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts with no failures counted: the first failure of a check is a first one again."""
    exercise_checks.reset_hints()


def test_hints_come_in_two_tiers():
    """The first failure says what is wrong and how to get more; the second, and hint(), name what to use."""
    assert "No check has failed" in exercise_checks.hint()
    with pytest.raises(exercise_checks.CheckFailed) as first:
        hints._fail_tiered("check_demo", "The answer is too small.", "use demo.bigger()")
    assert "too small" in str(first.value) and "demo.bigger" not in str(first.value)
    assert exercise_checks.AGAIN in str(first.value)
    assert exercise_checks.hint() == "Hint: use demo.bigger()" and repr(exercise_checks.hint()) == str(
        exercise_checks.hint()
    )
    with pytest.raises(exercise_checks.CheckFailed, match=r"too small\.\nHint: use demo\.bigger\(\)"):
        hints._fail_tiered("check_demo", "The answer is too small.", "use demo.bigger()")
    with pytest.raises(exercise_checks.CheckFailed) as other:  # counted per check
        hints._fail_tiered("check_other", "Wrong.", "use other()")
    assert "Hint:" not in str(other.value)
    exercise_checks.reset_hints()
    assert "No check has failed" in exercise_checks.hint()


def _served(share_of_dogs: float = 0.5, n: int = 40):
    """Exercise 03's setting, constructed: a 'served model' that calls every image a dog (logit = the first
    pixel, always positive), labels with ``share_of_dogs`` dogs, and a head served right on 90% of them."""
    import keras

    rng = np.random.default_rng(0)
    images = np.abs(rng.normal(size=(n, 3))).astype("float32") + 0.1
    labels = (np.arange(n) < share_of_dogs * n).astype("int64")
    served = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    served.layers[-1].set_weights([np.array([[1.0], [0.0], [0.0]], "float32"), np.zeros(1, "float32")])
    right = np.arange(n) % 10 != 0
    return served, images, labels, right, labels == 1  # the last: what the served model gets right


def test_served_raw_check_accepts_a_prediction_in_the_band_for_the_right_reason():
    served, images, labels, right, measured = _served()
    kwargs = dict(served=served, images=images, labels=labels, right_correct=right)
    message = exercise_checks.check_served_raw(0.55, "out_of_range", measured, **kwargs)
    assert message.startswith("Right: you predicted 0.55") and "0.500" in message and "0.900" in message


def test_served_raw_check_fails_on_its_placeholder_and_on_a_prediction_that_trusts_the_model():
    served, images, labels, right, measured = _served()
    kwargs = dict(served=served, images=images, labels=labels, right_correct=right)
    with pytest.raises(exercise_checks.CheckFailed, match="is not an accuracy"):
        exercise_checks.check_served_raw(None, None, measured, **kwargs)
    exercise_checks.reset_hints()
    # Plausible: "a little below serving right" (0.85), reasoning that BatchNorm normalizes the scale away.
    with pytest.raises(exercise_checks.CheckFailed) as first:
        exercise_checks.check_served_raw(0.85, "batchnorm_rescales", measured, **kwargs)
    assert "35 points below your prediction" in str(first.value) and "What was missed" in str(first.value)
    assert "Hint:" not in str(first.value) and "served.predict" not in str(first.value)
    with pytest.raises(exercise_checks.CheckFailed, match=r"(?s)What was missed.*Hint: .*served\.predict"):
        exercise_checks.check_served_raw(0.85, "batchnorm_rescales", measured, **kwargs)
    # In the band, for a wrong reason: the check says what the measurements rule out.
    with pytest.raises(exercise_checks.CheckFailed, match="rule REASON = 'batchnorm_rescales' out: at inference"):
        exercise_checks.check_served_raw(0.5, "batchnorm_rescales", measured, **kwargs)
    with pytest.raises(exercise_checks.CheckFailed, match="points above your prediction"):
        exercise_checks.check_served_raw(0.1, "out_of_range", measured, **kwargs)
    # The band is the stated ±10 points: 15 points off fails, 8 points off passes.
    with pytest.raises(exercise_checks.CheckFailed, match="15 points below your prediction, outside the ±10-point"):
        exercise_checks.check_served_raw(0.65, "out_of_range", measured, **kwargs)
    assert exercise_checks.check_served_raw(0.42, "out_of_range", measured, **kwargs).startswith("Right")
    with pytest.raises(exercise_checks.CheckFailed, match="not one of the keys of SERVED_RAW_REASONS"):
        exercise_checks.check_served_raw(0.5, "scale", measured, **kwargs)
    # The measurement must be the served model's: the head served right is not it.
    with pytest.raises(exercise_checks.CheckFailed, match="disagrees with the served model"):
        exercise_checks.check_served_raw(0.9, "out_of_range", right, **kwargs)
    with pytest.raises(exercise_checks.CheckFailed, match="one True/False per validation image"):
        exercise_checks.check_served_raw(0.5, "out_of_range", measured.mean(), **kwargs)


def _bn_setup(freeze_bn: bool, compile_model: bool = True, unfreeze: bool = True, freeze_all: bool = False):
    """A tiny functional base (Dense, BatchNorm, Dense, BatchNorm) called with training=False, unfrozen from
    layer 1 on (everything), as exercise 04's colleague set up MobileNetV2."""
    import keras

    inputs = keras.Input((6,))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    base = keras.Model(inputs, keras.layers.BatchNormalization()(keras.layers.Dense(4)(h)))
    base.trainable = unfreeze
    for layer in base.layers:
        if freeze_all or (freeze_bn and isinstance(layer, keras.layers.BatchNormalization)):
            layer.trainable = False
    outer_in = keras.Input((6,))
    model = keras.Model(outer_in, keras.layers.Dense(1)(base(outer_in, training=False)))
    if compile_model:
        model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    return model, base, rng.normal(3, 2, (32, 6)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def test_batchnorm_fix_check_accepts_the_diagnosis_and_the_fix():
    result = exercise_checks.check_batchnorm_fix("batchnorm_trainable", *_bn_setup(freeze_bn=True), fine_tune_at=1)
    assert result == {"bn_changed": 0, "weights_changed": 4, "weights_unfrozen": 4}


def test_batchnorm_fix_check_fails_on_its_placeholder_and_on_a_plausible_wrong_diagnosis():
    with pytest.raises(exercise_checks.CheckFailed, match="not one of the keys of SUSPECTS"):
        exercise_checks.check_batchnorm_fix(None, *_bn_setup(freeze_bn=False), fine_tune_at=1)
    exercise_checks.reset_hints()
    # Plausible: the learning rate — the usual suspect when fine-tuning goes wrong. The first failure says what
    # the log shows against it, not the answer; the second names the rule to read the table with.
    with pytest.raises(exercise_checks.CheckFailed) as first:
        exercise_checks.check_batchnorm_fix("learning_rate", *_bn_setup(freeze_bn=True), fine_tune_at=1)
    assert "rules 'learning_rate' out" in str(first.value) and "trainable = False" not in str(first.value)
    with pytest.raises(exercise_checks.CheckFailed, match=r"(?s)rules 'overfitting' out.*Hint: lesson 04, section 1"):
        exercise_checks.check_batchnorm_fix("overfitting", *_bn_setup(freeze_bn=True), fine_tune_at=1)
    for wrong in ("fine_tune_at", "no_recompile"):
        with pytest.raises(exercise_checks.CheckFailed, match=f"rules '{wrong}' out"):
            exercise_checks.check_batchnorm_fix(wrong, *_bn_setup(freeze_bn=True), fine_tune_at=1)


def test_batchnorm_fix_check_explains_an_incomplete_fix():
    right = "batchnorm_trainable"
    with pytest.raises(exercise_checks.CheckFailed, match="Right diagnosis, but 2 BatchNormalization layer"):
        exercise_checks.check_batchnorm_fix(right, *_bn_setup(freeze_bn=False), fine_tune_at=1)
    with pytest.raises(exercise_checks.CheckFailed, match="should learn are frozen"):
        exercise_checks.check_batchnorm_fix(right, *_bn_setup(freeze_bn=True, freeze_all=True), fine_tune_at=1)
    with pytest.raises(exercise_checks.CheckFailed, match="not compiled"):
        exercise_checks.check_batchnorm_fix(right, *_bn_setup(freeze_bn=True, compile_model=False), fine_tune_at=1)
    # BatchNorm frozen after a fit, without compiling again: fit() reuses the training step it built before.
    import keras

    model, base, x, y = _bn_setup(freeze_bn=False)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    with pytest.raises(exercise_checks.CheckFailed, match="still running the training step it built before"):
        exercise_checks.check_batchnorm_fix(right, model, base, x, y, fine_tune_at=1)


def _mobilenet_v2(size: int = 32):
    from keras.applications.mobilenet_v2 import MobileNetV2

    return MobileNetV2(input_shape=(size, size, 3), include_top=False, weights=None, pooling="avg")


def _compiled(base, learning_rate: float):
    import keras

    inputs = keras.Input(base.input_shape[1:])
    model = keras.Model(inputs, keras.layers.Dense(1)(base(inputs, training=False)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return model


def test_fine_tune_setup_check():
    from course_utils.exercise_checks import CheckFailed, check_fine_tune_setup
    from course_utils.finetune import unfreeze_top

    base = _mobilenet_v2()
    unfreeze_top(base, "block_14_expand")
    result = check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_expand", learning_rate=1e-5)
    assert result["fine_tune_index"] == [layer.name for layer in base.layers].index("block_14_expand")
    # Plausible: phase 1's learning rate kept for phase 2. First what is wrong, then (second failure) what to use.
    with pytest.raises(CheckFailed) as first:
        check_fine_tune_setup(_compiled(base, 1e-3), base, "block_14_expand", learning_rate=1e-3)
    assert "learning rate is 0.001" in str(first.value) and "Adam(learning_rate=1e-5)" not in str(first.value)
    with pytest.raises(CheckFailed, match=r"(?s)learning rate is 0.001.*Hint: fine-tune 10-100x below"):
        check_fine_tune_setup(_compiled(base, 1e-3), base, "block_14_expand", learning_rate=1e-3)
    with pytest.raises(CheckFailed, match="compiled at a learning rate of 1e-05, but LEARNING_RATE = 3e-05"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_expand", learning_rate=3e-5)
    with pytest.raises(CheckFailed, match="middle of a block"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_depthwise")
    with pytest.raises(CheckFailed, match="Layer 100 .* middle of a block"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, 100)
    with pytest.raises(CheckFailed, match="outside 1.."):
        check_fine_tune_setup(_compiled(base, 1e-5), base, 999)
    with pytest.raises(CheckFailed, match="not a layer"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_99_expand")
    with pytest.raises(CheckFailed, match="not compiled"):
        check_fine_tune_setup(base, base, "block_14_expand")
    unfreeze_top(base, "block_14_expand", keep_batchnorm_frozen=False)
    with pytest.raises(CheckFailed, match="BatchNorm layers in the unfrozen top are trainable"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_expand")
    base.trainable = False
    with pytest.raises(CheckFailed, match="still frozen"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_expand")
    base.trainable = True
    with pytest.raises(CheckFailed, match="before 'block_14_expand' are still trainable"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_expand")


def _paired(n: int = 400, tuned_only: int = 12, phase1_only: int = 8):
    """Two models' results on the same ``n`` images: both right on most, each right alone on a few."""
    tuned, phase1 = np.ones(n, bool), np.ones(n, bool)
    tuned[:20], phase1[:20] = False, False  # both wrong
    phase1[20 : 20 + tuned_only] = False
    tuned[20 + tuned_only : 20 + tuned_only + phase1_only] = False
    return tuned, phase1


def test_fine_tune_report_check_requires_the_paired_interval_and_the_verdict_it_supports():
    from course_utils.uncertainty import accuracy_interval, compare

    tuned, phase1 = _paired()  # +1.0 point, within noise
    report = compare(tuned, phase1, "fine-tuned", "phase 1")
    assert "within noise" in exercise_checks.check_fine_tune_report(report, "within noise", tuned, phase1)
    ahead_tuned, ahead_phase1 = _paired(tuned_only=40, phase1_only=5)
    ahead = compare(ahead_tuned, ahead_phase1)
    verdict = exercise_checks.check_fine_tune_report(ahead, "fine-tuning ahead beyond noise", ahead_tuned, ahead_phase1)
    assert verdict.startswith("Right")
    # The placeholder's names, unset: no report at all.
    with pytest.raises(exercise_checks.CheckFailed, match="not a paired comparison"):
        exercise_checks.check_fine_tune_report(None, None, tuned, phase1)
    exercise_checks.reset_hints()
    # Plausible: "fine-tuning helped" because its accuracy is higher, though the interval straddles zero.
    with pytest.raises(exercise_checks.CheckFailed) as first:
        exercise_checks.check_fine_tune_report(report, "fine-tuning ahead beyond noise", tuned, phase1)
    assert "does not follow from the interval" in str(first.value) and ".low > 0" not in str(first.value)
    with pytest.raises(exercise_checks.CheckFailed, match=r"(?s)does not follow.*Hint: beyond noise only when"):
        exercise_checks.check_fine_tune_report(report, "fine-tuning ahead beyond noise", tuned, phase1)
    with pytest.raises(exercise_checks.CheckFailed, match="is one number"):
        exercise_checks.check_fine_tune_report(tuned.mean() - phase1.mean(), "within noise", tuned, phase1)
    with pytest.raises(exercise_checks.CheckFailed, match="one interval per model"):
        exercise_checks.check_fine_tune_report(
            (accuracy_interval(tuned), accuracy_interval(phase1)), "within noise", tuned, phase1
        )
    with pytest.raises(exercise_checks.CheckFailed, match="runs the wrong way"):
        exercise_checks.check_fine_tune_report(compare(phase1, tuned), "within noise", tuned, phase1)
    with pytest.raises(exercise_checks.CheckFailed, match="covers 200 images"):
        exercise_checks.check_fine_tune_report(compare(tuned[:200], phase1[:200]), "within noise", tuned, phase1)
    with pytest.raises(exercise_checks.CheckFailed, match="not one of"):
        exercise_checks.check_fine_tune_report(report, "a tie", tuned, phase1)


def test_backbone_swap_check():
    import keras

    from course_utils import backbones
    from course_utils.exercise_checks import CheckFailed, check_backbone_swap

    def build(name, preprocess=True, frozen=True, outputs=1):
        backbone = backbones.get(name)
        base = backbone.create((96, 96, 3), weights=None)
        base.trainable = not frozen
        inputs = keras.Input((96, 96, 3))
        x = backbone.preprocessing()(inputs) if preprocess else inputs
        x = keras.layers.GlobalAveragePooling2D()(base(x, training=False))
        return keras.Model(inputs, keras.layers.Dense(outputs)(x))

    assert check_backbone_swap(build("MobileNet-0.25"), "MobileNet-0.25").startswith("Right")
    with pytest.raises(CheckFailed, match="applies MobileNet-0.25's contract"):
        check_backbone_swap(build("MobileNet-0.25", preprocess=False), "MobileNet-0.25")
    with pytest.raises(CheckFailed, match="trainable weights"):
        check_backbone_swap(build("MobileNet-0.25", frozen=False), "MobileNet-0.25")
    with pytest.raises(CheckFailed, match="one logit"):
        check_backbone_swap(build("MobileNet-0.25", outputs=2), "MobileNet-0.25")
    with pytest.raises(CheckFailed, match="lesson's backbone"):
        check_backbone_swap(build("MobileNet-0.25"), "MobileNetV2")
    with pytest.raises(CheckFailed, match="not a registered backbone"):
        check_backbone_swap(build("MobileNet-0.25"), "MobileNet-0.5")
    with pytest.raises(CheckFailed, match="but MobileNet-0.75 has"):
        check_backbone_swap(build("MobileNet-0.25"), "MobileNet-0.75")


def test_multiclass_model_check():
    import keras

    from course_utils.exercise_checks import CheckFailed, check_multiclass_model

    def build(units=5, activation=None, loss=None, frozen=True, compiled=True):
        base = keras.applications.MobileNet(input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.25)
        base.trainable = not frozen
        inputs = keras.Input((32, 32, 3))
        pooled = keras.layers.GlobalAveragePooling2D()(base(inputs))
        model = keras.Model(inputs, keras.layers.Dense(units, activation=activation)(pooled))
        if compiled:
            model.compile(optimizer="adam", loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    assert check_multiclass_model(build(), 5).startswith("Right")
    with pytest.raises(CheckFailed, match="5 logits"):
        check_multiclass_model(build(units=1), 5)
    with pytest.raises(CheckFailed, match="applies softmax"):
        check_multiclass_model(build(activation="softmax"), 5)
    with pytest.raises(CheckFailed, match="not compiled"):
        check_multiclass_model(build(compiled=False), 5)
    with pytest.raises(CheckFailed, match="BinaryCrossentropy is for two classes"):
        check_multiclass_model(build(loss=keras.losses.BinaryCrossentropy(from_logits=True)), 5)
    with pytest.raises(CheckFailed, match="from_logits=True"):
        check_multiclass_model(build(loss=keras.losses.SparseCategoricalCrossentropy()), 5)
    with pytest.raises(CheckFailed, match="trainable weights"):
        check_multiclass_model(build(frozen=False), 5)
    flat = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5)])
    flat.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(CheckFailed, match="no pretrained base"):
        check_multiclass_model(flat, 5)


def _flowers_info(total=3657):
    from types import SimpleNamespace

    return SimpleNamespace(splits={"train": SimpleNamespace(num_examples=total)})


def _loaded(splits, info):
    import tensorflow as tf

    from course_utils.exercise_checks.capstone import _split_range

    sizes = [stop - start for start, stop in (_split_range(s, info) for s in splits)]
    return [tf.data.Dataset.from_tensor_slices((np.zeros((n, 1), "float32"), np.zeros(n, "int64"))) for n in sizes]


def test_flowers_split_check():
    info, names = _flowers_info(), ["a", "b", "c", "d", "e"]
    right = ["train[:80%]", "train[80%:90%]", "train[90%:]"]
    assert "2,926 / 365 / 366" in exercise_checks.check_flowers_split(right, info, _loaded(right, info), names)
    overlapping = ["train[:80%]", "train[70%:80%]", "train[90%:]"]
    with pytest.raises(exercise_checks.CheckFailed, match="overlap"):
        exercise_checks.check_flowers_split(overlapping, info, _loaded(overlapping, info), names)
    uneven = ["train[:70%]", "train[70%:90%]", "train[90%:]"]
    with pytest.raises(exercise_checks.CheckFailed, match="should hold 80%"):
        exercise_checks.check_flowers_split(uneven, info, _loaded(uneven, info), names)
    with pytest.raises(exercise_checks.CheckFailed, match="syntax"):
        exercise_checks.check_flowers_split(["train[:80]%", *right[1:]], info, _loaded(right, info), names)
    with pytest.raises(exercise_checks.CheckFailed, match="in that order"):
        exercise_checks.check_flowers_split(right, info, _loaded(right, info)[::-1], names)
    with pytest.raises(exercise_checks.CheckFailed, match="5"):
        exercise_checks.check_flowers_split(right, info, _loaded(right, info), names[:2])


def _photos(n=40, size=8):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (n, size, size, 3)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((images, np.arange(n) % 5))


def test_flowers_pipeline_check():
    import tensorflow as tf

    from course_utils.datasets import training_batches

    photos = _photos()
    val = photos.batch(8)
    right = exercise_checks.check_flowers_pipeline(training_batches(photos, 8), val, 8)
    assert right.startswith("Right: 40 training photos reshuffled every epoch, 40 validation photos in a fixed order")
    assert "8x8 pixels in [0, 255]" in right
    with pytest.raises(exercise_checks.CheckFailed, match="val_ds should yield .images, labels. pairs"):
        exercise_checks.check_flowers_pipeline(training_batches(photos, 8), photos.map(lambda x, y: x).batch(8), 8)
    # As .repeat() would say, but it ends (with an error) when iterated: without the check, this test fails, not hangs.
    endless = training_batches(photos, 8).apply(tf.data.experimental.assert_cardinality(tf.data.INFINITE_CARDINALITY))
    with pytest.raises(exercise_checks.CheckFailed, match=r"train_ds repeats for ever \(\.repeat\(\)\)"):
        exercise_checks.check_flowers_pipeline(endless, val, 8)
    with pytest.raises(exercise_checks.CheckFailed, match="same order"):
        exercise_checks.check_flowers_pipeline(photos.batch(8), val, 8)
    replayed = photos.shuffle(40, seed=1).cache().batch(8)  # materialised once: epoch 1's order forever
    list(replayed)
    with pytest.raises(exercise_checks.CheckFailed, match="same order"):
        exercise_checks.check_flowers_pipeline(replayed, val, 8)
    with pytest.raises(exercise_checks.CheckFailed, match="different photos"):
        exercise_checks.check_flowers_pipeline(photos.shuffle(40).take(20).batch(8), val, 8)
    with pytest.raises(exercise_checks.CheckFailed, match=r"\[0, 255\]"):
        exercise_checks.check_flowers_pipeline(training_batches(photos.map(lambda x, y: (x / 255, y)), 8), val, 8)
    with pytest.raises(exercise_checks.CheckFailed, match="batch them"):
        exercise_checks.check_flowers_pipeline(photos, val, 8)
    with pytest.raises(exercise_checks.CheckFailed, match="resize"):
        exercise_checks.check_flowers_pipeline(training_batches(photos, 8), val, 16)
    with pytest.raises(exercise_checks.CheckFailed, match="never shuffle validation"):
        exercise_checks.check_flowers_pipeline(training_batches(photos, 8), training_batches(photos, 8), 8)


def _capstone_model():
    import keras

    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35)
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    model = keras.Model(inputs, keras.layers.Dense(5)(x))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model, base


def test_head_trained_and_phase2_setup_checks():
    import keras

    from course_utils.finetune import block_boundary

    model, base = _capstone_model()
    x, y = np.zeros((8, 32, 32, 3), "float32"), np.arange(8) % 5
    with pytest.raises(exercise_checks.CheckFailed, match="No training yet"):
        exercise_checks.check_head_trained(model, base, None)
    history = model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(exercise_checks.CheckFailed, match="validation_data"):
        exercise_checks.check_head_trained(model, base, history)
    history = model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert "frozen base" in exercise_checks.check_head_trained(model, base, history)

    fine_tune_at = block_boundary(base, 0.7)
    base.trainable = True
    for layer in base.layers[:fine_tune_at]:
        layer.trainable = False
    for layer in base.layers[fine_tune_at:]:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    with pytest.raises(exercise_checks.CheckFailed, match="Compile the model again"):
        exercise_checks.check_phase2_setup(model, base, fine_tune_at)

    def recompile(rate):
        model.compile(optimizer=keras.optimizers.Adam(rate), loss=model.loss, metrics=["accuracy"])

    recompile(1e-4)
    with pytest.raises(exercise_checks.CheckFailed, match="fine-tunes at 1e-05"):
        exercise_checks.check_phase2_setup(model, base, fine_tune_at)
    recompile(1e-5)
    assert "recompiled at 1e-05" in exercise_checks.check_phase2_setup(model, base, fine_tune_at)
    with pytest.raises(exercise_checks.CheckFailed, match="middle of a block"):
        exercise_checks.check_phase2_setup(model, base, fine_tune_at + 1)
    with pytest.raises(exercise_checks.CheckFailed, match="base_model.trainable = False"):
        exercise_checks.check_head_trained(model, base, history)


def test_a_block_start_is_recognised_in_every_family_the_course_knows():
    from course_utils.exercise_checks.fine_tuning import _starts_a_block

    mobilenet_v2 = ["block_12_project_BN", "block_13_expand", "block_13_expand_BN", "Conv_1"]
    assert (
        _starts_a_block(mobilenet_v2, 1) and not _starts_a_block(mobilenet_v2, 2) and _starts_a_block(mobilenet_v2, 3)
    )
    efficientnet = ["block5e_add", "block6a_expand_conv", "block6a_expand_bn"]
    assert _starts_a_block(efficientnet, 1) and not _starts_a_block(efficientnet, 2)


def _shipping(lead_points: int, fine_ms: float = 2.0, n: int = 400):
    """Exercise 07's numbers, constructed: the fine-tuned model right on ``lead_points`` more of ``n`` test
    icons than the small CNN (out of 30 the two disagree on), with the evidence a learner would report."""
    fine, cnn = np.ones(n, bool), np.ones(n, bool)
    fine[:60], cnn[:60] = False, False
    only_fine = (30 + lead_points) // 2
    cnn[60 : 60 + only_fine] = False
    fine[60 + only_fine : 90] = False
    correct = {"fine-tuned MobileNetV2": fine, "small CNN": cnn}
    evidence = {
        "fine-tuned MobileNetV2": {"accuracy": float(fine.mean()), "ms_per_image": fine_ms},
        "small CNN": {"accuracy": float(cnn.mean()), "ms_per_image": 0.06},
    }
    return evidence, correct


def test_shipping_decision_check_accepts_what_the_rule_says():
    evidence, correct = _shipping(lead_points=2)  # within noise: the small CNN
    assert "ship the small CNN" in exercise_checks.check_shipping_decision("small CNN", evidence, correct, 5.0)
    evidence, correct = _shipping(lead_points=24)  # beyond noise and within the budget: the fine-tuned model
    message = exercise_checks.check_shipping_decision("fine-tuned MobileNetV2", evidence, correct, 5.0)
    assert message.startswith("Right: ship the fine-tuned MobileNetV2") and "ahead beyond noise" in message


def test_shipping_decision_check_fails_on_its_placeholder_and_on_shipping_the_higher_point_estimate():
    evidence, correct = _shipping(lead_points=2)
    with pytest.raises(exercise_checks.CheckFailed, match="EVIDENCE should map each candidate"):
        exercise_checks.check_shipping_decision(None, None, correct, 5.0)
    exercise_checks.reset_hints()
    # Plausible: ship the fine-tuned model because its accuracy is higher, though only within noise.
    with pytest.raises(exercise_checks.CheckFailed) as first:
        exercise_checks.check_shipping_decision("fine-tuned MobileNetV2", evidence, correct, 5.0)
    assert "does not follow from the rule" in str(first.value) and "lead.low" not in str(first.value)
    with pytest.raises(exercise_checks.CheckFailed, match=r"(?s)does not follow.*Hint: lead = compare\("):
        exercise_checks.check_shipping_decision("fine-tuned MobileNetV2", evidence, correct, 5.0)
    # Ahead beyond noise, but over the budget: the rule ships the small CNN.
    slow, slow_correct = _shipping(lead_points=24, fine_ms=9.0)
    with pytest.raises(exercise_checks.CheckFailed, match="does not follow from the rule"):
        exercise_checks.check_shipping_decision("fine-tuned MobileNetV2", slow, slow_correct, 5.0)
    assert "ship the small CNN" in exercise_checks.check_shipping_decision("small CNN", slow, slow_correct, 5.0)


def test_shipping_decision_check_requires_both_numbers_for_both_models():
    evidence, correct = _shipping(lead_points=2)
    no_ms = {**evidence, "small CNN": {"accuracy": evidence["small CNN"]["accuracy"]}}
    with pytest.raises(exercise_checks.CheckFailed, match=r"EVIDENCE\['small CNN'\] has no number for 'ms_per_image'"):
        exercise_checks.check_shipping_decision("small CNN", no_ms, correct, 5.0)
    with pytest.raises(exercise_checks.CheckFailed, match="no numbers for 'fine-tuned MobileNetV2'"):
        exercise_checks.check_shipping_decision("small CNN", {"small CNN": evidence["small CNN"]}, correct, 5.0)
    wrong_accuracy = {**evidence, "small CNN": {**evidence["small CNN"], "accuracy": 0.5}}
    with pytest.raises(exercise_checks.CheckFailed, match="is not what that model scored"):
        exercise_checks.check_shipping_decision("small CNN", wrong_accuracy, correct, 5.0)
    reversed_ms = {name: {**entry, "ms_per_image": 3.0 - entry["ms_per_image"]} for name, entry in evidence.items()}
    with pytest.raises(exercise_checks.CheckFailed, match="something else was timed"):
        exercise_checks.check_shipping_decision("small CNN", reversed_ms, correct, 5.0)
    with pytest.raises(exercise_checks.CheckFailed, match="not one of the candidates"):
        exercise_checks.check_shipping_decision("MobileNetV2", evidence, correct, 5.0)
