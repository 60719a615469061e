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
    again = gradcam(model, base, images, class_indices=[0, 1, 2, 0])  # inference: no randomness
    assert again.shape == heatmaps.shape
    assert np.allclose(gradcam(model, base, images, class_indices=[0, 1, 2, 0]), again)
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
