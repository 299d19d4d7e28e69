"""Image-quality metrics: PSNR (the report's number) and SSIM.

Taught in notebook ``03_training`` and used for every table in ``05_results``. PSNR is computed in float64 so that it
agrees with ``skimage.metrics.peak_signal_noise_ratio`` to well within 1e-4 dB; SSIM uses scikit-image's reference
implementation (Gaussian-weighted, as in Wang et al. 2004).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def psnr(x: Tensor, y: Tensor, data_range: float = 1.0, reduction: str = "mean") -> Tensor:
    """Peak signal-to-noise ratio in dB.

    x, y: (B, C, H, W) or (C, H, W), values in [0, data_range] (x is clamped to that range first, as a saved image
    would be). reduction: "mean" → the mean of the per-image PSNRs (a scalar, the convention of the paper and report);
    "none" → one value per image, shape (B,). Identical images give +inf.
    """
    if x.shape != y.shape:
        raise ValueError(f"psnr needs two images of the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.dim() == 3:
        x, y = x[None], y[None]
    x = x.detach().double().clamp(0, data_range)
    y = y.detach().double()
    mse = (x - y).pow(2).flatten(1).mean(1)  # (B,)
    per_image = 10 * torch.log10(data_range**2 / mse)
    if reduction == "none":
        return per_image.float()
    if reduction == "mean":
        return per_image.mean().float()
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def ssim(x: Tensor, y: Tensor, data_range: float = 1.0, reduction: str = "mean") -> Tensor:
    """Structural similarity (scikit-image, Gaussian window σ=1.5), per image over colour channels.

    x, y: (B, C, H, W) or (C, H, W) in [0, data_range]. reduction as in `psnr`.
    """
    from skimage.metrics import structural_similarity

    if x.shape != y.shape:
        raise ValueError(f"ssim needs two images of the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.dim() == 3:
        x, y = x[None], y[None]
    xs = x.detach().float().clamp(0, data_range).cpu().numpy()
    ys = y.detach().float().cpu().numpy()
    values = [
        structural_similarity(
            a, b, data_range=data_range, channel_axis=0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
        for a, b in zip(xs, ys, strict=True)
    ]
    per_image = torch.tensor(np.asarray(values, dtype=np.float32))
    return per_image.mean() if reduction == "mean" else per_image
