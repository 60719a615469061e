"""Each exercise check accepts a right answer and explains what is wrong with a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import exercise_checks

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


def test_contracts_check():
    import keras

    right = {
        name: getattr(keras.applications, module).preprocess_input
        for name, (module, _) in exercise_checks.CONTRACTS.items()
    }
    assert "all 4" in exercise_checks.check_contracts(right)
    assert len(exercise_checks.contracts_matching(right)) == 4
    wrong = {**right, "ResNet50": keras.applications.mobilenet_v2.preprocess_input}
    with pytest.raises(exercise_checks.CheckFailed, match="resnet50.preprocess_input"):
        exercise_checks.check_contracts(wrong)
    assert "ResNet50" not in exercise_checks.contracts_matching(wrong)
    with pytest.raises(exercise_checks.CheckFailed, match="No choice yet"):
        exercise_checks.check_contracts({"MobileNetV2": right["MobileNetV2"]})


def _bn_setup(freeze_bn: bool, compile_model: bool = True, unfreeze: bool = True):
    import keras

    inputs = keras.Input((6,))
    h = keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs))
    base = keras.Model(inputs, keras.layers.BatchNormalization()(keras.layers.Dense(4)(h)))
    base.trainable = unfreeze
    for layer in base.layers:
        if freeze_bn and isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    outer_in = keras.Input((6,))
    model = keras.Model(outer_in, keras.layers.Dense(1)(base(outer_in, training=False)))
    if compile_model:
        model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    return model, base, rng.normal(3, 2, (32, 6)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def test_batchnorm_check():
    assert exercise_checks.check_batchnorm_safe(*_bn_setup(freeze_bn=True))["bn_changed"] == 0
    with pytest.raises(exercise_checks.CheckFailed, match="BatchNorm layer"):
        exercise_checks.check_batchnorm_safe(*_bn_setup(freeze_bn=False))
    with pytest.raises(exercise_checks.CheckFailed, match="not compiled"):
        exercise_checks.check_batchnorm_safe(*_bn_setup(freeze_bn=True, compile_model=False))
    with pytest.raises(exercise_checks.CheckFailed, match="Nothing in the base is trainable"):
        exercise_checks.check_batchnorm_safe(*_bn_setup(freeze_bn=True, unfreeze=False))


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
    result = check_fine_tune_setup(_compiled(base, 1e-5), base, "block_14_expand", avoid="block_11_expand")
    assert result["fine_tune_index"] == [layer.name for layer in base.layers].index("block_14_expand")
    with pytest.raises(CheckFailed, match="learning rate is 0.001"):
        check_fine_tune_setup(_compiled(base, 1e-3), base, "block_14_expand")
    with pytest.raises(CheckFailed, match="where the lesson started"):
        check_fine_tune_setup(_compiled(base, 1e-5), base, "block_11_expand", avoid="block_11_expand")
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


def test_grayscale_pipeline_check():
    import tensorflow as tf
    from keras.applications.mobilenet_v2 import preprocess_input

    from course_utils.exercise_checks import CheckFailed, check_grayscale_pipeline

    def right(images):
        x = tf.image.resize(tf.convert_to_tensor(images[..., None], tf.float32), (96, 96))
        return preprocess_input(tf.image.grayscale_to_rgb(x))

    assert check_grayscale_pipeline(right).startswith("Right")
    with pytest.raises(CheckFailed, match="output shape"):
        check_grayscale_pipeline(lambda images: right(images)[..., :1])
    with pytest.raises(CheckFailed, match=r"\[-1, 1\]"):
        check_grayscale_pipeline(lambda images: (right(images) + 1) * 127.5)
    with pytest.raises(CheckFailed, match="R, G and B differ"):
        check_grayscale_pipeline(lambda images: tf.concat([right(images)[..., :2], -right(images)[..., 2:]], -1))
    with pytest.raises(CheckFailed, match=r"output shape is \(96, 96, 28\)"):
        check_grayscale_pipeline(lambda images: tf.image.resize(images, (96, 96)))


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

    from course_utils.exercise_checks import _split_range

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
    from course_utils.exercise_checks import _starts_a_block

    mobilenet_v2 = ["block_12_project_BN", "block_13_expand", "block_13_expand_BN", "Conv_1"]
    assert (
        _starts_a_block(mobilenet_v2, 1) and not _starts_a_block(mobilenet_v2, 2) and _starts_a_block(mobilenet_v2, 3)
    )
    efficientnet = ["block5e_add", "block6a_expand_conv", "block6a_expand_bn"]
    assert _starts_a_block(efficientnet, 1) and not _starts_a_block(efficientnet, 2)
