"""A registry of pretrained backbones, each paired with its preprocessing contract.

Swapping backbones should be changing one name.  What makes that hard in practice is that every
``keras.applications`` family expects its own input range (lesson 03); here each entry carries
its contract as a Keras layer, so the preprocessing travels with the name and is part of the
model::

    backbone = backbones.get("MobileNetV2")
    base = backbone.create((160, 160, 3))            # include_top=False, ImageNet weights
    x = backbone.preprocessing()(inputs)             # the contract, inside the model
    x = base(x, training=False)

Published figures (``top1``, ``params_millions``) are those of the full ImageNet classifiers at
224 px, from the Keras Applications table or the backbone's paper (``source`` says which).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

#: The ImageNet channel means (BGR) that caffe-style networks subtract.
CAFFE_BGR_MEANS = (103.939, 116.779, 123.68)

#: What each contract means, in words.
CONTRACT_TEXT: Mapping[str, str] = {
    "tf": "RGB scaled to [-1, 1]: pixels / 127.5 - 1",
    "caffe": "BGR, ImageNet channel means subtracted, no scaling (values about -124 to 152)",
    "built-in": "raw RGB in [0, 255]: the model rescales and normalizes by itself",
}


class WeightsUnavailable(RuntimeError):
    """A backbone's pretrained weights are neither in the Keras cache nor downloadable."""


@dataclass(frozen=True)
class Backbone:
    """One pretrained network and everything needed to use it correctly."""

    name: str  # the registry key, e.g. "MobileNetV2-0.35"
    constructor: str  # the keras.applications function, e.g. "MobileNetV2"
    contract: str  # a key of CONTRACT_TEXT
    default_size: int  # input side the ImageNet weights were trained at
    top1: float  # published ImageNet top-1 accuracy
    params_millions: float  # published parameter count of the full classifier
    source: str  # where top1 and params_millions come from
    kwargs: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"alpha": 0.35}

    @property
    def contract_text(self) -> str:
        return CONTRACT_TEXT[self.contract]

    def create(
        self,
        input_shape: tuple[int, int, int],
        *,
        include_top: bool = False,
        weights: str | None = "imagenet",
        **kwargs: Any,
    ):
        """``keras.applications.<constructor>(input_shape, include_top, weights, ...)``.

        Lessons pass ``include_top=False`` explicitly, so the line that matters stays visible.
        Raises :class:`WeightsUnavailable` (with the reason and how to fix it) when the ImageNet
        weights can be neither found in the Keras cache nor downloaded.
        """
        build = getattr(keras.applications, self.constructor)
        announcement = _HeldAnnouncement(sys.stdout)  # Keras prints "Downloading data from ..." before it tries
        try:
            with contextlib.redirect_stdout(announcement):
                model = build(
                    input_shape=tuple(input_shape),
                    include_top=include_top,
                    weights=weights,
                    **{**self.kwargs, **kwargs},
                )
        except WeightsUnavailable:
            raise
        except Exception as error:  # the download guard's error, or Keras's "URL fetch failure"
            if weights is None or not _is_download_failure(error):
                announcement.release()
                raise
            raise WeightsUnavailable(
                f"{self.name}: its ImageNet weights are not in the Keras cache and cannot be downloaded here. "
                f"Online, Keras downloads them on first use; for a workshop, put them in the asset mirror "
                f"(`python -m course_utils assets fetch --with-optional --to DIR`). "
                f"Detail: {str(error).splitlines()[0]}"
            ) from error
        announcement.release()
        return model

    def preprocessing(self):
        """The contract as a Keras layer, to put between the model's input and the base."""
        if self.contract == "tf":
            return keras.layers.Rescaling(1 / 127.5, offset=-1, name="preprocess_to_minus1_1")
        if self.contract == "caffe":
            return CaffePreprocessing(name="preprocess_caffe_bgr")
        return keras.layers.Identity(name="preprocessing_built_in")

    def preprocess_input(self, images: np.ndarray) -> np.ndarray:
        """The family's own ``keras.applications.<module>.preprocess_input`` on a copy of ``images``."""
        import importlib

        module = importlib.import_module(f"keras.applications.{_MODULES[self.constructor]}")
        return np.asarray(module.preprocess_input(np.array(images, dtype="float32", copy=True)))


class _HeldAnnouncement(io.TextIOBase):
    """Holds back the first line written (Keras's "Downloading data from <url>") until more follows.

    A real download's progress then shows as it happens, announcement first; a download that fails
    at once (offline) leaves no stray line above the course's own explanation.
    """

    def __init__(self, target) -> None:
        self._target = target
        self._held = ""
        self._released = False

    def write(self, text: str) -> int:
        if not self._released and "\n" in self._held:
            self.release()  # the first line is complete and more output follows
        if self._released:
            self._target.write(text)
        else:
            self._held += text
        return len(text)

    def flush(self) -> None:
        if self._released:
            self._target.flush()

    def release(self) -> None:
        """Write what was held (after a success, or when more output shows the download is under way)."""
        if not self._released:
            self._target.write(self._held)
            self._released = True


def _is_download_failure(error: BaseException) -> bool:
    from .assets.download_guard import AssetUnavailableError

    return isinstance(error, AssetUnavailableError) or "fetch failure" in str(error)


#: Written into the layer's saved config, so Keras's error when the layer is missing says what to import.
LOAD_HINT = "import course_utils.backbones (it registers this layer), then keras.saving.load_model(...)"


@keras.saving.register_keras_serializable(package="course_utils")
class CaffePreprocessing(keras.layers.Layer):
    """RGB in [0, 255] to BGR minus the ImageNet channel means (ResNet50, VGG), as a Keras layer.

    Registered (as ``course_utils>CaffePreprocessing``) when this module is imported, so a saved
    ``.keras`` model that contains it loads, ``safe_mode=True`` included, after::

        import course_utils.backbones
        model = keras.saving.load_model("model.keras")

    Without the import Keras refuses with ``TypeError: Could not locate class 'CaffePreprocessing'``
    and the layer's saved config, whose ``to_load`` entry (:data:`LOAD_HINT`) says what to import.
    """

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "to_load": LOAD_HINT}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CaffePreprocessing:
        return cls(**{key: value for key, value in config.items() if key != "to_load"})

    def call(self, inputs):
        bgr = keras.ops.flip(inputs, axis=-1)
        return bgr - keras.ops.convert_to_tensor(CAFFE_BGR_MEANS, dtype=bgr.dtype)


_MODULES = {
    "MobileNetV2": "mobilenet_v2",
    "MobileNet": "mobilenet",
    "EfficientNetV2B0": "efficientnet_v2",
    "ResNet50": "resnet50",
    "ConvNeXtTiny": "convnext",
}

_KERAS_TABLE = "Keras Applications table"

#: Every backbone the course knows, in the order lessons list them.
REGISTRY: Mapping[str, Backbone] = {
    b.name: b
    for b in (
        Backbone("MobileNetV2", "MobileNetV2", "tf", 224, 0.713, 3.5, _KERAS_TABLE, {"alpha": 1.0}),
        Backbone(
            "MobileNetV2-0.35",
            "MobileNetV2",
            "tf",
            224,
            0.603,
            1.7,
            "MobileNetV2 paper / TF-Slim table (alpha 0.35, 224 px)",
            {"alpha": 0.35},
        ),
        Backbone(
            "MobileNet-0.75",
            "MobileNet",
            "tf",
            224,
            0.684,
            2.6,
            "MobileNet paper, Table 6 (0.75 MobileNet-224)",
            {"alpha": 0.75},
        ),
        Backbone(
            "MobileNet-0.25",
            "MobileNet",
            "tf",
            224,
            0.506,
            0.5,
            "MobileNet paper, Table 6 (0.25 MobileNet-224)",
            {"alpha": 0.25},
        ),
        Backbone("EfficientNetV2B0", "EfficientNetV2B0", "built-in", 224, 0.787, 7.2, _KERAS_TABLE, {}),
        Backbone("ResNet50", "ResNet50", "caffe", 224, 0.749, 25.6, _KERAS_TABLE, {}),
        Backbone("ConvNeXtTiny", "ConvNeXtTiny", "built-in", 224, 0.813, 28.6, _KERAS_TABLE, {}),
    )
}


def names() -> list[str]:
    """The registered backbone names."""
    return list(REGISTRY)


def get(name: str) -> Backbone:
    """The backbone called ``name``; an unknown name gets the list of known ones (and a guess)."""
    try:
        return REGISTRY[name]
    except KeyError:
        guess = difflib.get_close_matches(str(name), names(), n=1)
        hint = f" Did you mean {guess[0]!r}?" if guess else ""
        raise ValueError(
            f"Unknown backbone {name!r}.{hint} Known backbones: {', '.join(names())} "
            "(course_utils/backbones.py; add an entry there to register another)."
        ) from None


def throughput(model: Any, image_size: int, images: int = 128, batch_size: int = 32, repeats: int = 3) -> float:
    """Measured inference speed of ``model`` on this machine, in images per second.

    One warm-up batch (graph tracing), then ``images`` random images through ``predict``,
    ``repeats`` times; the fastest repeat counts (the others were slowed by something else).
    """
    rng = np.random.default_rng(0)
    batch = rng.uniform(0, 255, (batch_size, image_size, image_size, 3)).astype("float32")
    data = np.concatenate([batch] * max(1, images // batch_size))
    model.predict(batch, batch_size=batch_size, verbose=0)
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        model.predict(data, batch_size=batch_size, verbose=0)
        best = min(best, time.perf_counter() - start)
    return len(data) / best
