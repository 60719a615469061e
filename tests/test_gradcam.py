"""Grad-CAM on a model with a nested base: heatmaps at the image's size, in [0, 1], clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.gradcam import gradcam, overlay


def _model(n_classes=3, size=32):
    import keras

    base = keras.applications.MobileNetV2(input_shape=(size, size, 3), include_top=False, weights=None, alpha=0.35)
    base.trainable = False
    inputs = keras.Input((size, size, 3))
    x = keras.Sequential([keras.layers.RandomFlip("horizontal")], name="augmentation")(inputs)
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(x)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    return keras.Model(inputs, keras.layers.Dense(n_classes)(x)), base


def test_heatmaps_have_the_images_size_and_lie_in_0_1():
    model, base = _model()
    images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    heatmaps = gradcam(model, base, images)
    assert heatmaps.shape == (4, 32, 32)
    assert heatmaps.min() >= 0.0 and heatmaps.max() <= 1.0
    predicted = np.argmax(np.asarray(model(images, training=False)), axis=-1)
    assert np.allclose(gradcam(model, base, images, class_indices=predicted), heatmaps)  # default: the predicted class
    shown = overlay(images[0], heatmaps[0])
    assert shown.shape == (32, 32, 3) and shown.min() >= 0.0 and shown.max() <= 1.0


def test_a_base_that_is_not_in_the_model_is_named():
    import keras

    model, _ = _model()
    other = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35)
    with pytest.raises(ValueError, match="is not a layer of the model"):
        gradcam(model, other, np.zeros((1, 32, 32, 3)))
    with pytest.raises(ValueError, match=r"images\[None\]"):
        gradcam(model, model.layers[3], np.zeros((32, 32, 3)))
    with pytest.raises(ValueError, match="differ in size"):
        overlay(np.zeros((32, 32, 3)), np.zeros((16, 16)))


def _tiny(size=8, scale_output=False):
    """A base whose one feature map is the sum of the pixels' channels; the head averages it: the logit
    depends on where the image is bright, so Grad-CAM must point there."""
    import keras

    inner = keras.Input((size, size, 3))
    conv = keras.layers.Conv2D(1, 1, kernel_initializer="ones", bias_initializer="zeros")
    base = keras.Model(inner, conv(inner), name="tiny_base")
    inputs = keras.Input((size, size, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    logits = keras.layers.Dense(1, kernel_initializer="ones")(x)
    return keras.Model(inputs, logits * 3.0 if scale_output else logits), base


def test_the_heatmap_peaks_where_the_logit_comes_from():
    images = np.zeros((1, 8, 8, 3), "float32")
    images[0, :3, :3] = 200.0  # only the top-left corner is bright
    model, base = _tiny()
    heat = gradcam(model, base, images)[0]
    assert np.unravel_index(heat.argmax(), heat.shape)[0] < 3 and np.unravel_index(heat.argmax(), heat.shape)[1] < 3
    assert heat[6:, 6:].max() < 0.1


def _two_colours(size=8):
    """Class 0's logit is the mean red of the image, class 1's the mean green: a 1x1 convolution puts red in
    channel 0 and green in channel 1, and the head maps channel i to logit i."""
    import keras

    inner = keras.Input((size, size, 3))
    conv = keras.layers.Conv2D(2, 1, use_bias=False)
    base = keras.Model(inner, conv(inner), name="two_colour_base")
    kernel = np.zeros((1, 1, 3, 2), "float32")
    kernel[0, 0, 0, 0] = kernel[0, 0, 1, 1] = 1.0
    conv.set_weights([kernel])
    inputs = keras.Input((size, size, 3))
    dense = keras.layers.Dense(2, use_bias=False)
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(base(inputs))))
    dense.set_weights([np.eye(2, dtype="float32")])
    images = np.zeros((2, size, size, 3), "float32")
    images[:, :3, :3, 0] = 200.0  # region A, top left, is red: class 0 (the larger logit, the predicted class)
    images[:, 5:, 5:, 1] = 100.0  # region B, bottom right, is green: class 1
    return model, base, images


def _region(heat: np.ndarray) -> str:
    """Where a heatmap peaks: region A, region B, or neither (and whether it is dark elsewhere)."""
    a, b = heat[:3, :3], heat[5:, 5:]
    if a.min() > 0.9 and heat[3:, 3:].max() < 0.1:
        return "A"
    if b.min() > 0.9 and heat[:5, :5].max() < 0.1:
        return "B"
    return f"neither (A {a.mean():.2f}, B {b.mean():.2f})"


def test_class_indices_choose_the_class_whose_evidence_the_heatmap_shows():
    model, base, images = _two_colours()
    assert [_region(h) for h in gradcam(model, base, images)] == ["A", "A"]  # the predicted class, 0
    assert [_region(h) for h in gradcam(model, base, images, class_indices=[0, 0])] == ["A", "A"]
    assert [_region(h) for h in gradcam(model, base, images, class_indices=[1, 1])] == ["B", "B"]
    assert [_region(h) for h in gradcam(model, base, images, class_indices=[1, 0])] == ["B", "A"]  # one per image
    assert [_region(h) for h in gradcam(model, base, images, class_indices=1)] == ["B", "B"]  # one for all
    assert [_region(h) for h in gradcam(model, base, images[:1], class_indices=[1])] == ["B"]


@pytest.mark.parametrize(
    ("class_indices", "message"),
    [
        ([2, 0], r"class_indices \[2, 0\]: the model has 2 classes, so each index is in 0\.\.1"),
        ([-1, 0], r"class_indices \[-1, 0\]: the model has 2 classes"),
        ([0, 1, 0], r"3 class indices for 2 images: give one per image, or one for all"),
        ([0.5, 1], r"class_indices \[0.5, 1\]: whole numbers"),
    ],
)
def test_class_indices_that_name_no_class_are_refused(class_indices, message):
    model, base, images = _two_colours()
    with pytest.raises(ValueError, match=message):
        gradcam(model, base, images, class_indices=class_indices)


def test_a_model_that_is_not_a_chain_of_layers_is_refused():
    model, base = _tiny(scale_output=True)  # `* 3.0` is an operation, not a layer: a chain of layers misses it
    with pytest.raises(ValueError, match="one chain"):
        gradcam(model, base, np.ones((1, 8, 8, 3), "float32"))


def test_centre_share_tells_the_middle_from_the_edges():
    from course_utils.gradcam import centre_share

    even = np.ones((8, 8))
    assert centre_share(even) == pytest.approx(0.25)
    middle = np.zeros((8, 8))
    middle[3:5, 3:5] = 1.0
    assert centre_share(middle) == 1.0
    edge = np.zeros((8, 8))
    edge[0, :] = 1.0
    assert centre_share(edge) == 0.0
    assert np.isnan(centre_share(np.zeros((8, 8))))
    with pytest.raises(ValueError, match="one"):
        centre_share(np.ones((2, 8, 8)))
