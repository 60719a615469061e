"""Fine-tuning helpers: unfreeze the top of a base with BatchNormalization frozen, block boundaries,
and backups of a fine-tuning run that match the run and survive a kill."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any


def is_batchnorm(layer: Any) -> bool:
    import keras

    return isinstance(layer, keras.layers.BatchNormalization)


def unfreeze_top(base: Any, fine_tune_at: int | str, keep_batchnorm_frozen: bool = True) -> int:
    """Make layers of ``base`` from ``fine_tune_at`` on trainable; freeze every layer before it.

    ``fine_tune_at`` is a layer index or a layer name.  With ``keep_batchnorm_frozen`` (the
    default), BatchNormalization layers stay ``trainable = False``: in Keras 3 a frozen
    BatchNormalization layer always runs in inference mode, so its ImageNet statistics cannot
    drift, whatever ``training`` flag the surrounding model passes (lesson 04).
    Returns the number of layers left trainable.  Recompile the model afterwards.
    """
    if isinstance(fine_tune_at, str):
        names = [layer.name for layer in base.layers]
        if fine_tune_at not in names:
            raise ValueError(f"{base.name} has no layer {fine_tune_at!r}; pick one of base.layers' names.")
        fine_tune_at = names.index(fine_tune_at)
    if not 0 <= fine_tune_at <= len(base.layers):
        raise ValueError(
            f"fine_tune_at={fine_tune_at} is outside 0..{len(base.layers)} ({base.name} has {len(base.layers)} layers)."
        )
    base.trainable = True
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= fine_tune_at and not (keep_batchnorm_frozen and is_batchnorm(layer))
    return sum(layer.trainable for layer in base.layers)


def batchnorm_statistics(model: Any) -> dict[str, tuple[Any, Any]]:
    """Copies of every BatchNormalization layer's moving mean and variance, by layer name."""
    import numpy as np

    return {
        layer.name: (np.array(layer.moving_mean.numpy()), np.array(layer.moving_variance.numpy()))
        for layer in model.layers
        if is_batchnorm(layer)
    }


def first_batchnorm_from(base: Any, fine_tune_at: int) -> int:
    """The position, among ``base``'s BatchNormalization layers, of the first at or after layer ``fine_tune_at``."""
    positions = [index for index, layer in enumerate(base.layers) if is_batchnorm(layer)]
    return next((rank for rank, index in enumerate(positions) if index >= fine_tune_at), len(positions))


def statistics_drift(before: dict, model: Any) -> dict[str, float]:
    """Per BatchNormalization layer: the largest relative change of its moving mean or variance."""
    import numpy as np

    after = batchnorm_statistics(model)
    drift = {}
    for name, (mean0, var0) in before.items():
        mean1, var1 = after[name]
        drift[name] = float(
            max(
                np.max(np.abs(mean1 - mean0) / (np.abs(mean0) + 1e-3)),
                np.max(np.abs(var1 - var0) / (np.abs(var0) + 1e-3)),
            )
        )
    return drift


#: Block names of keras.applications families: MobileNetV2 ``block_12_expand``, EfficientNet
#: ``block2a_expand_conv``, MobileNet v1 ``conv_pad_12`` / ``conv_dw_12`` / ``conv_pw_12`` (one block), ResNet
#: ``conv4_block1_1_conv``, ConvNeXt ``convnext_tiny_stage_2_block_0_...``.
_BLOCKS = (
    re.compile(r"^(block_?\d+[a-z]?)"),
    re.compile(r"^conv_(?:pad|dw|pw)_(\d+)"),
    re.compile(r"(conv\d+_block\d+)"),
    re.compile(r"(stage_\d+_block_\d+)"),
)


def block_of(layer_name: str) -> str | None:
    """The block a layer belongs to, from its name (None if the name shows no block)."""
    for pattern in _BLOCKS:
        match = pattern.search(layer_name)
        if match:
            return f"{pattern.pattern}:{match.group(1)}"
    return None


def block_boundary(base: Any, fraction: float) -> int:
    """Index of the first layer that starts a block, at or after ``fraction`` of ``base``'s depth.

    Unfreezing from a block's first layer keeps each block whole (see :func:`block_of` for the
    naming schemes recognised).  Raises ``ValueError`` for a base whose layer names show no blocks.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction={fraction}: give the share of the depth to keep frozen, in [0, 1)")
    layers = base.layers
    blocks = [block_of(layer.name) for layer in layers]
    for index in range(max(round(fraction * len(layers)), 1), len(layers)):
        if blocks[index] is not None and blocks[index] != blocks[index - 1]:
            return index
    raise ValueError(
        f"{base.name}: no block starts after {fraction:.0%} of its depth (layer names show no blocks); "
        "pick fine_tune_at by hand from [layer.name for layer in base.layers]."
    )


def backup_folder(name: str, root: str | Path = "backups", **run: Any) -> Path:
    """A ``BackupAndRestore`` folder for one run, named after everything that defines the run.

    ``run`` holds the settings that make one training run differ from another (profile, image
    size, image counts, epochs, the layer fine-tuning starts at, the learning rate, the weights):
    change any of them and the next run gets a folder of its own, so a stale backup is never
    restored into a different setup.  The settings are written beside the backup, for a reader.
    """
    import hashlib
    import json

    settings = json.dumps(run, sort_keys=True, default=str)
    folder = Path(root) / f"{name}-{hashlib.sha256(settings.encode()).hexdigest()[:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(settings + "\n", encoding="utf-8")
    return folder


#: What reading a damaged backup raises: h5py cannot open the weights file (``OSError``), the JSON is
#: cut short or the weights have other shapes (``ValueError``), the metadata has no epoch (``KeyError``).
DAMAGED_BACKUP_ERRORS = (OSError, ValueError, KeyError)


def recovering_backup(backup_dir: str | Path, **kwargs: Any):
    """``keras.callbacks.BackupAndRestore(backup_dir)`` that survives a damaged backup.

    A kernel killed while the backup was being written can leave files Keras cannot read, and then
    every later ``fit`` fails until the learner finds and deletes the folder.  This callback says
    so, deletes the damaged backup, puts the model back as it was, and trains from the start.
    Only the errors of a damaged backup (:data:`DAMAGED_BACKUP_ERRORS`) do that: any other error
    (an unbuilt model, no permission to read, memory) is raised as it is, and the backup is kept.
    """
    import shutil

    import keras

    class RecoveringBackupAndRestore(keras.callbacks.BackupAndRestore):
        def on_train_begin(self, logs=None):
            if not self.model.built:  # Keras's own error says to build the model: not the backup's fault
                return super().on_train_begin(logs)
            before = [weight.numpy() for weight in self.model.weights]
            try:
                super().on_train_begin(logs)
            except PermissionError:  # a backup that may not be read is not a damaged one
                raise
            except DAMAGED_BACKUP_ERRORS as error:
                for weight, value in zip(self.model.weights, before, strict=True):
                    weight.assign(value)
                self.model._initial_epoch = None
                shutil.rmtree(backup_dir, ignore_errors=True)
                first_line = (str(error).splitlines() or [""])[0][:200]
                print(
                    f"The backup in {backup_dir} could not be restored ({type(error).__name__}: {first_line}); "
                    "it was probably cut short when the kernel was stopped. It has been deleted, and this "
                    "training starts from the beginning."
                )

    return RecoveringBackupAndRestore(backup_dir=str(backup_dir), **kwargs)
