"""Plots the lessons share: image grids with captions."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def show_images(images: np.ndarray | Sequence[np.ndarray], titles: Sequence[str] = (), cols: int = 4,
                size: float = 2.6, title_size: int = 8):
    """A grid of images (pixel values in [0, 255] or [0, 1]) with optional captions; returns the figure."""
    import matplotlib.pyplot as plt

    count = len(images)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows * 1.3), squeeze=False)
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
