"""The files the course asks Keras for, with the origins Keras downloads them from.

``assets fetch`` downloads this list to build a workshop mirror; ``assets status`` uses it when
no mirror is configured.  Names and origins are the ones ``keras.applications`` and the course's
notebooks pass to ``keras.utils.get_file``.
"""

from __future__ import annotations

from .manifest import AssetEntry

APPS = "https://storage.googleapis.com/tensorflow/keras-applications"
TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets"

CATS_AND_DOGS_URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
FLOWERS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
# sha256 of the official class index (keras.applications itself checks its md5 when loading it).
CLASS_INDEX_SHA256 = "a1e7a966a1f601d39e4b43e119b3e7dd4a2ad3ea08cf69847cbaf021013767bc"

RESOLUTIONS = (96, 128, 160, 192, 224)


def _model(filename: str, folder: str, sha256: str | None = None) -> AssetEntry:
    return AssetEntry("models", filename, f"{APPS}/{folder}/{filename}", sha256=sha256)


def _mobilenet_v2(alpha: str, size: int, top: bool = False) -> AssetEntry:
    name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{size}{'' if top else '_no_top'}.h5"
    return _model(name, "mobilenet_v2")


def _mobilenet_v1(alpha_text: str, size: int) -> AssetEntry:
    return _model(f"mobilenet_{alpha_text}_{size}_tf_no_top.h5", "mobilenet")


def course_catalog(include_optional: bool = False) -> list[AssetEntry]:
    """Every file the lessons use; with ``include_optional``, also the larger backbones of lesson 06.

    The optional backbones (EfficientNetV2B0, ResNet50, ConvNeXtTiny) are not in the offline
    mirror; online, Keras downloads them and checks their hashes itself.
    """
    entries = [
        _mobilenet_v2("1.0", 224, top=True),
        *(_mobilenet_v2("1.0", size) for size in RESOLUTIONS),
        *(_mobilenet_v2("0.35", size) for size in RESOLUTIONS),
        *(_mobilenet_v1(alpha, size) for alpha in ("7_5", "2_5") for size in RESOLUTIONS[1:]),
        AssetEntry("models", "imagenet_class_index.json", CLASS_INDEX_URL, sha256=CLASS_INDEX_SHA256),
        AssetEntry("datasets", "cats_and_dogs_filtered.zip", CATS_AND_DOGS_URL),
        AssetEntry("datasets", "flower_photos.tgz", FLOWERS_URL),
        *(
            AssetEntry("datasets/fashion-mnist", name, f"{TF_DATASETS}/{name}")
            for name in (
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
            )
        ),
    ]
    if include_optional:
        entries += [
            _model("efficientnetv2-b0_notop.h5", "efficientnet_v2"),
            _model("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "resnet"),
            _model("convnext_tiny_notop.h5", "convnext"),
        ]
    return entries
