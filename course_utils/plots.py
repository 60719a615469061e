"""Plots the lessons share: image grids with captions, series, learning curves."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

#: Resolution of picture grids (photos, feature maps): matches the photos' own pixels, keeps files small.
PHOTO_DPI = 72


def show_images(
    images: np.ndarray | Sequence[np.ndarray],
    titles: Sequence[str] = (),
    cols: int = 4,
    size: float = 2.6,
    title_size: int = 8,
    dpi: int = PHOTO_DPI,
):
    """A grid of images (pixel values in [0, 255] or [0, 1]) with optional captions; returns the figure.

    Drawn at ``dpi`` (72: a 2.6-inch panel is about as wide as a 160 px photo), which keeps the
    executed notebooks of the course edition small; pass a larger value for a sharper picture.
    """
    import matplotlib.pyplot as plt

    count = len(images)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows * 1.3), squeeze=False, dpi=dpi)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= count:
            continue
        image = np.asarray(images[index], dtype="float32")
        ax.imshow(image / 255.0 if image.max() > 1.0 else image)
        if index < len(titles):
            ax.set_title(titles[index], fontsize=title_size)
    fig.tight_layout()
    return fig


def show_feature_maps(
    maps: Sequence[np.ndarray], names: Sequence[str], channels: int = 8, size: float = 1.4, dpi: int = PHOTO_DPI
):
    """One row per layer: the ``channels`` most active channels of each (H, W, C) feature map (at ``dpi``)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(maps), channels, figsize=(size * channels, size * len(maps) * 1.15), squeeze=False, dpi=dpi
    )
    for row, (fmap, name) in enumerate(zip(maps, names, strict=True)):
        strongest = np.argsort(fmap.mean(axis=(0, 1)))[::-1][:channels]
        for col, channel in enumerate(strongest):
            ax = axes[row, col]
            ax.imshow(fmap[:, :, channel], cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(f"{name}\n{fmap.shape[0]}×{fmap.shape[1]}×{fmap.shape[2]}", fontsize=8)
    fig.tight_layout()
    return fig


def show_kernels(kernels: Mapping[str, np.ndarray], filters: int = 16, size: float = 0.7, dpi: int = PHOTO_DPI):
    """One row per network: the first ``filters`` filters of a first convolution, as small RGB pictures.

    Each kernel has Keras's layout ``(height, width, 3, filters)``; each filter is stretched to [0, 1]
    on its own, so its pattern shows whatever its scale.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        len(kernels), filters, figsize=(size * filters, size * len(kernels) * 1.2), squeeze=False, dpi=dpi
    )
    for row, (name, kernel) in enumerate(kernels.items()):
        kernel = np.asarray(kernel, dtype="float32")
        if kernel.ndim != 4 or kernel.shape[2] != 3:
            raise ValueError(f"{name}: a first convolution's kernel is (height, width, 3, filters), got {kernel.shape}")
        for col in range(filters):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col >= kernel.shape[-1]:
                ax.axis("off")
                continue
            f = kernel[..., col]
            ax.imshow((f - f.min()) / max(float(f.max() - f.min()), 1e-12), interpolation="nearest")
            if col == 0:
                ax.set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def plot_series(
    x_labels: Sequence[str],
    series: dict[str, Sequence[float]],
    ylabel: str,
    title: str = "",
    reference: dict[str, float] | None = None,
):
    """Lines over named positions (layers, sizes, ...), with optional horizontal reference lines."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for label, values in series.items():
        ax.plot(range(len(values)), values, marker="o", label=label)
    for label, value in (reference or {}).items():
        ax.axhline(value, linestyle=":", color="gray")
        ax.text(0, value, f" {label}", va="bottom", fontsize=8, color="gray")
    ax.set_xticks(range(len(x_labels)), x_labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_phases(
    phase1: dict[str, Sequence[float]],
    phase2: dict[str, Sequence[float]] | None = None,
    metrics: Sequence[str] = ("accuracy", "loss"),
    title: str = "",
):
    """Learning curves of phase 1 then phase 2 (Keras ``history.history`` dicts) on one time axis.

    A vertical line marks the epoch where fine-tuning starts.  Epochs are numbered from 1.
    """
    import matplotlib.pyplot as plt

    phase2 = phase2 or {}
    start = len(next(iter(phase1.values())))
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        for key, style in ((metric, "-"), (f"val_{metric}", "--")):
            values = list(phase1.get(key, [])) + list(phase2.get(key, []))
            if values:
                label = "validation" if key.startswith("val_") else "training"
                ax.plot(range(1, len(values) + 1), values, style, marker=".", label=label)
        if phase2:
            ax.axvline(start + 0.5, color="gray", linestyle=":")
            ax.text(start + 0.6, ax.get_ylim()[1], "fine-tuning starts", va="top", fontsize=8, color="gray")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str], title: str = ""):
    """A confusion matrix with counts in the cells: rows are true classes, columns predictions."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.1 * len(class_names) + 2, 1.1 * len(class_names) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    for (t, p), count in np.ndenumerate(matrix):
        ax.text(
            p,
            t,
            str(count),
            ha="center",
            va="center",
            color="white" if count > matrix.max() / 2 else "black",
            fontsize=9,
        )
    ax.set_xticks(range(len(class_names)), class_names, rotation=30, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_drift(drifts: dict[str, dict[str, float]], first_unfrozen: int, title: str = ""):
    """How far each run moved each BatchNorm layer's statistics (log scale), layers input to output.

    ``drifts`` maps a run's name to :func:`course_utils.finetune.statistics_drift`'s result; a dotted
    line falls before BatchNorm layer number ``first_unfrozen``, the first in the unfrozen top.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.8))
    for run, drift in drifts.items():
        ax.plot(range(len(drift)), [value + 1e-9 for value in drift.values()], marker=".", label=run)
    ax.axvline(first_unfrozen - 0.5, color="gray", linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("BatchNormalization layers, input to output (dotted: where fine-tuning starts)")
    ax.set_ylabel("largest relative change of\nmoving mean / variance")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_curves_over_seeds(
    runs: Mapping[tuple[str, int], Sequence[Mapping[str, float]]],
    modes: Sequence[str] = ("fit", "val"),
    baseline: float | None = None,
    baseline_label: str = "",
    title: str = "",
):
    """Accuracy per epoch of several settings, mean and spread over seeds.

    ``runs[setting, seed]`` is one dict per epoch holding a number for each of ``modes``; mode ``"fit"``
    (training accuracy as ``fit`` reports it) is drawn dotted, the others solid; ``baseline`` is a
    dashed horizontal line (e.g. the phase-1 head's validation accuracy).
    """
    import matplotlib.pyplot as plt

    settings = list(dict.fromkeys(setting for setting, _ in runs))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for setting, colour in zip(settings, colours, strict=False):  # more settings than colours: colours repeat
        for mode in modes:
            values = np.array([[epoch[mode] for epoch in epochs] for (s, _), epochs in runs.items() if s == setting])
            what = "training accuracy as fit reports it" if mode == "fit" else f"{mode} accuracy"
            ax.errorbar(
                range(1, values.shape[1] + 1),
                values.mean(0),
                yerr=values.std(0),
                color=colour,
                linestyle=":" if mode == "fit" else "-",
                marker="o",
                label=f"{setting}, {what}",
            )
    if baseline is not None:
        ax.axhline(baseline, color="gray", linestyle="--", label=baseline_label)
    ax.set_xticks(range(1, values.shape[1] + 1))
    ax.set_xlabel("fine-tuning epoch")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
