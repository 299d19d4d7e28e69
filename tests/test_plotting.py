"""Figures: the training-curve figure shows what the lab's Fig. 1 needs; save_figure writes PNG and PDF."""

import matplotlib.pyplot as plt
import pytest
import torch

from n2n_lib.errors import InputError
from n2n_lib.plotting import image_grid, plot_history, save_figure

HISTORY = {
    "epoch": [1, 2, 3, 4],
    "train_loss": [0.04, 0.014, 0.012, 0.011],
    "val_loss": [0.009, 0.006, 0.005, 0.0045],
    "val_psnr": [21.7, 23.4, 24.6, 24.5],
    "lr": [1e-3] * 4,
    "seconds": [2.0] * 4,
}


def test_training_curves_mark_the_best_epoch_with_its_psnr():
    fig = plot_history({"N2N": HISTORY, "N2C": {**HISTORY, "val_psnr": [21.9, 23.5, 24.5, 24.8]}})
    ax_loss, ax_psnr = fig.axes
    assert ax_loss.get_yscale() == "log"
    labels = [t.get_text() for t in ax_psnr.get_legend().get_texts()]
    assert labels == ["N2N: best 24.60 dB (epoch 3)", "N2C: best 24.80 dB (epoch 4)"]
    dots = [line for line in ax_psnr.get_lines() if line.get_marker() == "o"]
    assert [(d.get_xdata()[0], d.get_ydata()[0]) for d in dots] == [(3, 24.6), (4, 24.8)]
    fig.canvas.draw()
    ticks = [t for t in ax_psnr.get_xticks() if 1 <= t <= 4]
    assert ticks and all(float(t).is_integer() for t in ticks)  # epochs are whole numbers
    plt.close(fig)


def test_save_figure_writes_png_and_pdf(tmp_path):
    fig = image_grid([[torch.rand(3, 8, 8), torch.zeros(3, 8, 8, dtype=torch.uint8)]], titles=[["a", "b"]])
    paths = save_figure(fig, "fig_test", folder=tmp_path)
    assert sorted(p.name for p in paths) == ["fig_test.pdf", "fig_test.png"]
    assert (tmp_path / "fig_test.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "fig_test.pdf").read_bytes()[:5] == b"%PDF-"
    assert not [p for p in tmp_path.iterdir() if p.suffix not in (".png", ".pdf")]  # no temporary file left behind
    plt.close(fig)


def test_save_figure_refuses_a_name_with_a_folder_or_suffix(tmp_path):
    fig = plt.figure()
    for bad in ("", "sub/fig", "fig.png"):
        with pytest.raises(InputError, match="plain stem"):
            save_figure(fig, bad, folder=tmp_path)
    assert not list(tmp_path.iterdir())
    plt.close(fig)
