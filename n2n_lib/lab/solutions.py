"""Reference solutions of the notebooks' coding exercises — try each exercise before reading its solution.

Each notebook has a stub the student fills and a check cell (`n2n_lib.lab.exercises`). While a stub is unfilled, the
check runs the function here instead, so the notebook still runs from top to bottom:

* ``annealed_l0``  — notebook 01, section 2: the mode-seeking loss for impulse noise (`n2n_lib.losses`).
* ``unet_forward`` — notebook 02, section 3: the U-Net's forward pass with an explicit skip stack (`n2n_lib.model`).
* ``n2n_step``     — notebook 03, section 2: one Noise2Noise training step (what `n2n_lib.train.Trainer.step` does).
* ``loss_to_psnr`` — notebook 04, section 4: reading the tuning table's loss column in dB.
* ``mean_filter_3x3`` — notebook 05, section 2: the simplest classical baseline (`n2n_lib.baselines.mean_filter`).

They are written from the concepts, not by calling the library functions they mirror, so that each check also tests
the library against an independent implementation.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from n2n_lib.losses import GAMMA_MIN


def annealed_l0(pred: Tensor, target: Tensor, progress: float) -> Tensor:
    """mean((|pred − target| + 1e-8)^γ), γ = 2·(1 − progress) but never below GAMMA_MIN; a scalar.

    pred, target: same shape. progress in [0, 1] is the fraction of training done.
    """
    gamma = max(2.0 * (1.0 - progress), GAMMA_MIN)  # L2-like at the start, mode-seeking at the end
    return ((pred - target).abs() + 1e-8).pow(gamma).mean()


def unet_forward(model: nn.Module, x: Tensor) -> Tensor:
    """`model(x)` for a `n2n_lib.model.UNet`, written out: x (B, C, H, W), H and W multiples of 2**depth."""
    enc, dec, depth = model.encoder, model.decoder, model.config.depth
    skips = [x]  # push the input …
    h = enc["enc_conv1"](enc["enc_conv0"](x))
    for level in range(1, depth + 1):
        if level > 1:
            h = enc[f"enc_conv{level}"](h)
        h = model.pool(h)  # (B, width, H / 2**level, W / 2**level)
        if level < depth:
            skips.append(h)  # … and every pooled map but the bottom one
    h = enc[f"enc_conv{depth + 1}"](h)
    for level in range(depth, 0, -1):
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = torch.cat([h, skips.pop()], dim=1)  # last pushed, first popped: the same resolution as h
        h = dec[f"dec_conv{level}b"](dec[f"dec_conv{level}a"](h))
    return dec["dec_conv1c"](h)


def n2n_step(
    model: nn.Module, optimizer: torch.optim.Optimizer, clean: Tensor, sigma: float, generator: torch.Generator
) -> float:
    """One Noise2Noise step on (B, C, H, W) clean images in [0, 1]; sigma in 0-255 units. Returns the L2 loss.

    Two independent Gaussian noise draws make the input and the target; the clean images are not otherwise used.
    """
    draw = {"generator": generator, "dtype": clean.dtype, "device": clean.device}
    noisy_input = clean + sigma / 255 * torch.randn(clean.shape, **draw)  # sigma is in 0-255 units
    noisy_target = clean + sigma / 255 * torch.randn(clean.shape, **draw)  # a second, independent draw
    loss = (model(noisy_input) - noisy_target).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def loss_to_psnr(loss: float) -> float:
    """PSNR in dB of a mean squared error between images in [0, 1] (peak 1): 10·log10(1 / loss)."""
    return 10 * math.log10(1 / loss)


def mean_filter_3x3(noisy: Tensor) -> Tensor:
    """Mean of each pixel's 3×3 neighbourhood, channel by channel: float (3, H, W) in, same shape and dtype out.

    At the borders the edge pixels are repeated (what scipy.ndimage calls mode="reflect", as in
    `n2n_lib.baselines.mean_filter`), so a flat image stays flat right up to its edges. `noisy` is not changed.
    """
    h, w = noisy.shape[-2:]
    padded = F.pad(noisy, (1, 1, 1, 1), mode="replicate")  # (3, H + 2, W + 2): each edge pixel once more
    shifted = [padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]  # 9 × (3, H, W)
    return sum(shifted) / 9
