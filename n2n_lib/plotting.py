"""Figures: training curves (the report's Fig. 1), image grids (its Fig. 2) and `save_figure` for the report.

Used by every notebook. Figures are saved as PNG (for notebooks and the HTML report) and PDF (for LaTeX reports) under
stable names in ``figures/``, without timestamps in their metadata so that re-running a notebook changes a figure only
when its content changes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write
from n2n_lib.paths import figures_dir


def save_figure(fig: Figure, name: str, folder: str | os.PathLike | None = None, dpi: int = 150) -> list[Path]:
    """Write `fig` as ``folder/name.png`` and ``folder/name.pdf`` (atomically); returns both paths.

    folder: default the project's ``figures/``, wherever the notebook runs from.
    """
    folder = figures_dir() if folder is None else folder
    if not name or "/" in name or name.endswith((".png", ".pdf")):
        raise InputError(f"figure name {name!r} must be a plain stem such as 'fig1_training_curves'.")
    paths = []
    for ext, metadata in (("png", {"Software": None}), ("pdf", {"CreationDate": None, "Producer": None})):
        path = Path(folder) / f"{name}.{ext}"
        atomic_write(
            path,
            lambda tmp, ext=ext, md=metadata: fig.savefig(tmp, format=ext, dpi=dpi, bbox_inches="tight", metadata=md),
        )
        paths.append(path)
    return paths


def plot_history(histories: Mapping[str, Mapping[str, Sequence[float]]], title: str | None = None) -> Figure:
    """Training loss and validation PSNR per epoch, one line per run (e.g. {"N2N": h1, "N2C": h2}).

    Each history has the keys written by `n2n_lib.train.fit` (epoch, train_loss, val_psnr, …). The best epoch of each
    run (the one its checkpoint keeps) is marked with a dot on the PSNR panel.
    """
    fig, (ax_loss, ax_psnr) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, (label, h) in enumerate(histories.items()):
        color = f"C{i}"
        ax_loss.plot(h["epoch"], h["train_loss"], color=color, label=f"{label} train")
        ax_loss.plot(h["epoch"], h["val_loss"], color=color, ls="--", label=f"{label} val (vs clean)")
        best = max(range(len(h["val_psnr"])), key=lambda j: h["val_psnr"][j])
        # The best value goes into the legend rather than next to the dot, where it could cover a curve or the frame.
        best_label = f"{label}: best {h['val_psnr'][best]:.2f} dB (epoch {h['epoch'][best]})"
        ax_psnr.plot(h["epoch"], h["val_psnr"], color=color, label=best_label)
        ax_psnr.plot(h["epoch"][best], h["val_psnr"][best], "o", color=color)
    ax_loss.set(xlabel="epoch", ylabel="loss", yscale="log", title="loss")
    ax_psnr.set(xlabel="epoch", ylabel="PSNR (dB)", title="validation PSNR (dot: best epoch)")
    for ax in (ax_loss, ax_psnr):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def to_numpy_image(x: Tensor):
    """(C, H, W) float in [0, 1] or uint8 → (H, W, C) float numpy array for imshow."""
    x = x.detach().cpu()
    x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
    return x.clamp(0, 1).permute(1, 2, 0).numpy()


def image_grid(
    rows: Sequence[Sequence[Tensor | None]],
    titles: Sequence[Sequence[str]] | None = None,
    row_labels: Sequence[str] | None = None,
    size: float = 2.4,
) -> Figure:
    """A grid of images, e.g. one row per example with columns noisy | denoised | clean.

    rows: lists of (C, H, W) images (float in [0, 1] or uint8); None leaves that place empty (e.g. the clean image shown
    once, in the first row only). titles: the same layout of strings (PSNR, say). row_labels: written at the left of
    each row's first image.
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(row) or row[j] is None:
                ax.axis("off")
                continue
            ax.imshow(to_numpy_image(row[j]), interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i][j], fontsize=9)
        first = next((j for j, image in enumerate(row) if image is not None), None)
        if row_labels is not None and first is not None:
            axes[i][first].set_ylabel(row_labels[i], fontsize=9)
    fig.tight_layout()
    return fig
