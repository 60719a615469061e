"""Exercises 01-03: the feature hierarchy, the pooled head, the preprocessing contract served wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NoReturn

import numpy as np

from ..model_weights import count
from .answers import _correct_flags, _fraction
from .hints import _fail, _fail_tiered

MOBILENET_V2_PARAMS = 2_257_984
POOLED_HEAD_PARAMS = 1_281


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

    from ..heads import correct_of_logits

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
    from ..uncertainty import accuracy_interval

    return (
        f"Right: you predicted {prediction:.2f} and the model served raw pixels scores {accuracy_interval(flags)} "
        f"(served right: {right_accuracy:.3f}), within ±{100 * band:.0f} points, for the right reason: "
        f"{SERVED_RAW_REASONS[reason]}."
    )
