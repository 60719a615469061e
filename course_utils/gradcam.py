"""Grad-CAM: where a classifier looked, from the gradients of a class's logit at the last convolutional block.

- :func:`gradcam`: one heatmap per image, in [0, 1], at the image's size;
- :func:`overlay`: a heatmap laid over its photo, for :func:`course_utils.plots.show_images`.

The lessons' models nest the pretrained base as one layer (``input → preprocessing → base →
pooling → dropout → dense``), so the base's output *is* the last block's activations.  Grad-CAM
runs the model's layers in order, watches that output, and weights each of its channels by the mean
gradient of the class's logit (Selvaraju et al., 2017).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["gradcam", "overlay"]


def _split_at_base(model: Any, base: Any) -> tuple[list[Any], list[Any]]:
    """The layers before ``base`` (input layer excluded) and those after it, in order."""
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not any(layer is base for layer in layers):
        nested = [layer.name for layer in layers if isinstance(layer, keras.Model)] or ["none"]
        raise ValueError(
            f"{getattr(base, 'name', base)!r} is not a layer of the model {model.name!r} (nested models in it: "
            f"{', '.join(nested)}). Pass the base the model was built on, i.e. the object called as "
            "base_model(x, training=False) when building it."
        )
    index = next(i for i, layer in enumerate(layers) if layer is base)
    if len(base.output_shape) != 4:
        raise ValueError(
            f"The base outputs {base.output_shape}, not a grid of feature maps: Grad-CAM needs the last "
            "convolutional block's (H, W, channels) output; build the base without pooling (pooling=None)."
        )
    return layers[:index], layers[index + 1 :]


def _chosen_classes(class_indices: Any, n_images: int, n_classes: int) -> np.ndarray:
    """``class_indices`` as one class per image (``int64``), refused unless each is a class of the model.

    Checked here because ``tf.gather`` is no help: on a CPU it stops with an error naming no argument, and
    on a GPU it gives an index outside the classes a logit of 0, so the heatmap would silently be blank.
    """
    given = np.asarray(class_indices)
    if given.ndim > 1 or given.ndim == 1 and len(given) not in (1, n_images):
        raise ValueError(
            f"{given.size} class indices for {n_images} images: give one per image, or one for all "
            "(class_indices=3, or a list as long as the batch)."
        )
    shown = np.asarray(class_indices, dtype=object).tolist()  # as given: [0.5, 1], not [0.5, 1.0]
    if given.size == 0 or not np.issubdtype(given.dtype, np.integer):
        raise ValueError(f"class_indices {shown}: whole numbers, the classes' positions in the model's output.")
    if given.min() < 0 or given.max() >= n_classes:
        raise ValueError(
            f"class_indices {shown}: the model has {n_classes} classes, so each index is in 0..{n_classes - 1}."
        )
    return np.broadcast_to(given, (n_images,)).astype("int64")


def gradcam(model: Any, base: Any, images: np.ndarray, class_indices: Any = None) -> np.ndarray:
    """Grad-CAM heatmaps, shape ``(N, H, W)`` in [0, 1], for ``images`` (``(N, H, W, 3)``, raw pixels).

    ``model`` must be a chain of layers with ``base`` nested in it; every layer runs with
    ``training=False`` (augmentation and dropout do nothing).  ``class_indices``: the class whose
    logit to explain, one per image or one for all (default: the predicted class).  A heatmap is the ReLU of the
    base's channels weighted by their mean gradient, divided by its maximum (all zeros if nothing
    pushes the logit up), resized to the image.
    """
    import tensorflow as tf

    images = np.asarray(images, dtype="float32")
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, 3), got shape {images.shape}: use images[None] for one.")
    before, after = _split_at_base(model, base)
    x = tf.convert_to_tensor(images)
    for layer in before:
        x = layer(x, training=False)
    features = base(x, training=False)  # the last convolutional block's activations
    with tf.GradientTape() as tape:
        tape.watch(features)
        logits = features
        for layer in after:
            logits = layer(logits, training=False)
        if class_indices is None:
            chosen = tf.argmax(logits, axis=-1)
        else:
            chosen = tf.convert_to_tensor(_chosen_classes(class_indices, len(images), int(logits.shape[-1])))
        score = tf.gather(logits, chosen, axis=1, batch_dims=1)
    expected = model(images, training=False)
    if not np.allclose(logits.numpy(), np.asarray(expected), atol=1e-3 * (1 + float(np.abs(expected).max()))):
        raise ValueError(
            "running model.layers one after another does not reproduce model(images): the model has branches or "
            "operations outside its layers, so this Grad-CAM would explain a different network. Build the model as "
            "one chain (input -> layers -> base -> head layers), as the lessons do."
        )
    gradients = tape.gradient(score, features)
    weights = tf.reduce_mean(gradients, axis=(1, 2), keepdims=True)  # one weight per channel
    cam = tf.nn.relu(tf.reduce_sum(weights * features, axis=-1))
    peak = tf.reduce_max(cam, axis=(1, 2), keepdims=True)
    cam = tf.math.divide_no_nan(cam, peak)
    cam = tf.image.resize(cam[..., None], images.shape[1:3], method="bilinear")[..., 0]
    return np.clip(cam.numpy(), 0.0, 1.0)


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """``image`` (pixels in [0, 255]) with ``heatmap`` (``(H, W)`` in [0, 1]) in the jet colormap on
    top; an RGB array in [0, 1]."""
    from matplotlib import colormaps

    image = np.asarray(image, dtype="float32")
    if image.shape[:2] != np.shape(heatmap):
        raise ValueError(
            f"image {image.shape[:2]} and heatmap {np.shape(heatmap)} differ in size: pass matching pairs."
        )
    colored = colormaps["jet"](np.asarray(heatmap))[..., :3]
    return np.clip((1 - alpha) * image / 255.0 + alpha * colored, 0.0, 1.0)


def centre_share(heatmap: np.ndarray, keep: float = 0.5) -> float:
    """The share of a heatmap's heat inside the central box that spans the middle ``keep`` of its
    height and of its width (``keep=0.5``: a quarter of the area, so heat spread evenly gives 0.25).

    Where a photo is framed on its subject, a share well above the box's area says the model looked
    at the middle of the photo; a low one says it looked at the edges (grass, sky, a neighbour).
    """
    heat = np.asarray(heatmap, dtype="float64")
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be one (H, W) map, got shape {heat.shape}: pass heatmaps[i].")
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep={keep}: give the central box's side as a share of the image's side, in (0, 1]")
    total = heat.sum()
    if total <= 0:
        return float("nan")
    h, w = heat.shape
    top, left = round(h * (1 - keep) / 2), round(w * (1 - keep) / 2)
    return float(heat[top : h - top, left : w - left].sum() / total)
