"""Fine-tuning helpers: unfreeze the top of a base with BatchNormalization frozen, block boundaries,
and backup folders of a fine-tuning run that match the run and survive a kill."""

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
    size, image counts, epochs, the layer fine-tuning starts at, the learning rate): change any of
    them and the next run gets a folder of its own, so a stale backup is never restored into a
    different setup.  A run with random weights (the harness's negative control) gets its own folder
    too.  The settings are written beside the backup, for a reader.  A backup that a kill cut short
    is reported and deleted here (:func:`discard_damaged_backup`), so a plain
    ``keras.callbacks.BackupAndRestore(folder)`` trains from the start instead of failing every rerun.
    """
    import hashlib
    import json
    import os

    from .assets.random_weights import ENV_VAR as RANDOM_WEIGHTS_VAR

    if os.environ.get(RANDOM_WEIGHTS_VAR):
        run = {**run, "random_weights": True}
    settings = json.dumps(run, sort_keys=True, default=str)
    folder = Path(root) / f"{name}-{hashlib.sha256(settings.encode()).hexdigest()[:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    discard_damaged_backup(folder)
    (folder / "run.json").write_text(settings + "\n", encoding="utf-8")
    return folder


#: The files ``keras.callbacks.BackupAndRestore`` writes in its folder (and their ``.bkp`` copies).
BACKUP_FILES = ("latest.weights.h5", "training_metadata.json")


def _backup_problem(folder: Path) -> str | None:
    """Why the backup in ``folder`` cannot be restored, or ``None`` if it can (or there is none)."""
    import json

    import h5py

    weights, metadata = (folder / name for name in BACKUP_FILES)
    if weights.exists():
        try:
            with h5py.File(weights, "r"):
                pass
        except OSError as error:
            return f"{weights.name} cannot be read ({(str(error).splitlines() or [''])[0][:120]})"
    if metadata.exists():
        try:
            epoch = json.loads(metadata.read_text(encoding="utf-8"))["epoch"]
        except (ValueError, KeyError, TypeError):
            return f"{metadata.name} is cut short or has no epoch"
        if not isinstance(epoch, int):
            return f"{metadata.name} holds no epoch number"
    return None


def discard_damaged_backup(folder: str | Path) -> bool:
    """Delete the backup in ``folder`` if a kill left it unreadable, and say so; ``True`` if it did.

    A kernel stopped while the backup was being written can leave files Keras cannot read, and then
    every later ``fit`` with ``BackupAndRestore`` fails until the learner finds and deletes the
    folder.  A readable backup is kept, to be restored.
    """
    folder = Path(folder)
    problem = _backup_problem(folder)
    if problem is None:
        return False
    for name in BACKUP_FILES:
        for path in (folder / name, folder / f"{name}.bkp"):
            path.unlink(missing_ok=True)
    print(
        f"The backup in {folder} could not be restored: {problem}. It was probably cut short when the "
        "kernel was stopped; it has been deleted, and this training starts from the beginning."
    )
    return True
