"""Classical denoisers and the baselines table: is Noise2Noise any good? (taught in notebook ``05_results``).

Every classical method is a function ``method(noisy, sigma) -> denoised`` on one colour image: ``noisy`` is a float
(H, W, 3) numpy array or a float (3, H, W) tensor with values around [0, 1] (Gaussian noise is not clipped), ``sigma``
the noise standard deviation in 0-255 units, and the result has the input's type and layout. Methods that need a
strength get it from the known σ, with the rule chosen on the embedded *validation* photos (flower, grace_hopper) at
σ = 15, 25 and 50, never on ``data/eval``:

| method            | implementation (package)                          | strength from σ (s = σ / 255)        |
|-------------------|---------------------------------------------------|--------------------------------------|
| mean filter 3×3   | scipy.ndimage.uniform_filter                      | none                                 |
| median filter 3×3 | scipy.ndimage.median_filter                       | none                                 |
| Gaussian blur     | skimage.filters.gaussian                          | std 0.5 + σ/50 px (0.8, 1.0, 1.5 px) |
| non-local means   | skimage.restoration.denoise_nl_means              | h = 0.6 s, sigma = s, 5×5 patches    |
| total variation   | skimage.restoration.denoise_tv_chambolle          | weight = s                           |
| wavelet           | skimage.restoration.denoise_wavelet, BayesShrink  | sigma = s (YCbCr)                    |
| CBM3D             | bm3d.bm3d_rgb (Dabov et al. 2007)                 | sigma_psd = s                        |

`run_baselines` takes its noisy images from `n2n_lib.evaluate.noisy_eval_set` (the seeded noise of ``python -m n2n_lib
evaluate``) and hands each one noisy image to every method, the trained networks included, so the table compares like
with like.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import bm3d as bm3d_package
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from bm3d.profiles import BM3DProfile
from matplotlib.figure import Figure
from scipy import ndimage
from skimage.filters import gaussian
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet
from torch import Tensor, nn
from tqdm.auto import tqdm

from n2n_lib.errors import InputError
from n2n_lib.evaluate import noisy_eval_set
from n2n_lib.inference import denoise
from n2n_lib.metrics import psnr, ssim

Image = np.ndarray | Tensor


def _hwc(fn: Callable[[np.ndarray, float], np.ndarray]) -> Callable[[Image, float], Image]:
    """Let `fn` (float64 (H, W, 3) numpy in, numpy out) also take and return float (3, H, W) tensors."""

    def method(noisy: Image, sigma: float) -> Image:
        if isinstance(noisy, Tensor):
            if noisy.ndim != 3 or noisy.shape[0] != 3 or not noisy.is_floating_point():
                raise InputError(f"{fn.__name__}: noisy must be a float (3, H, W) tensor, got {tuple(noisy.shape)}.")
            out = fn(noisy.detach().cpu().permute(1, 2, 0).double().numpy(), float(sigma))  # (H, W, 3)
            return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1).to(noisy.dtype)
        noisy = np.asarray(noisy)
        if noisy.ndim != 3 or noisy.shape[2] != 3 or noisy.dtype.kind != "f":
            raise InputError(f"{fn.__name__}: noisy must be a float (H, W, 3) array, got {noisy.dtype} {noisy.shape}.")
        return fn(noisy.astype(np.float64), float(sigma)).astype(noisy.dtype)

    method.__name__, method.__doc__ = fn.__name__, fn.__doc__
    return method


@_hwc
def mean_filter(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Average of each 3×3 neighbourhood, per channel; ignores σ."""
    return ndimage.uniform_filter(noisy, size=(3, 3, 1), mode="reflect")


@_hwc
def median_filter(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Median of each 3×3 neighbourhood, per channel; ignores σ."""
    return ndimage.median_filter(noisy, size=(3, 3, 1), mode="reflect")


@_hwc
def gaussian_blur(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur whose width grows with the noise: std 0.5 + σ/50 pixels."""
    return gaussian(noisy, sigma=0.5 + sigma / 50, channel_axis=-1, preserve_range=True)


@_hwc
def non_local_means(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Non-local means (Buades et al. 2005): 5×5 patches searched within 13×13, h = 0.6 σ, σ known."""
    s = sigma / 255
    return denoise_nl_means(noisy, h=0.6 * s, sigma=s, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=-1)


@_hwc
def total_variation(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Total-variation denoising (Chambolle's algorithm) with weight σ/255."""
    return denoise_tv_chambolle(noisy, weight=sigma / 255, channel_axis=-1)


@_hwc
def wavelet(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Wavelet soft thresholding (BayesShrink) in YCbCr, σ known."""
    return denoise_wavelet(
        noisy,
        sigma=sigma / 255,
        channel_axis=-1,
        convert2ycbcr=True,
        method="BayesShrink",
        mode="soft",
        rescale_sigma=True,
    )


@_hwc
def bm3d(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """CBM3D, colour block-matching and 3-D filtering (the ``bm3d`` package), σ known; one thread, so repeatable."""
    profile = BM3DProfile()
    profile.num_threads = 1  # several threads change the float summation order, and so the last digits
    return bm3d_package.bm3d_rgb(noisy, sigma_psd=sigma / 255, profile=profile)


# key → (label in tables and figures, method), in order of sophistication.
CLASSICAL: dict[str, tuple[str, Callable[[Image, float], Image]]] = {
    "mean": ("mean filter 3×3", mean_filter),
    "median": ("median filter 3×3", median_filter),
    "gaussian_blur": ("Gaussian blur", gaussian_blur),
    "nlm": ("non-local means", non_local_means),
    "tv": ("total variation", total_variation),
    "wavelet": ("wavelet", wavelet),
    "bm3d": ("CBM3D", bm3d),
}
NOISY_LABEL = "noisy input"
COLUMNS = ("method", "PSNR", "SSIM", "seconds_per_image")


def _check_methods(methods: Sequence[str] | None) -> list[str]:
    methods = list(CLASSICAL) if methods is None else list(methods)
    unknown = [m for m in methods if m not in CLASSICAL]
    if unknown:
        shown = ", ".join(map(repr, unknown))
        raise InputError(f"unknown baseline method(s) {shown}; use some of {', '.join(CLASSICAL)}.")
    return methods


def denoise_all(
    noisy: Tensor,
    sigma: float,
    methods: Sequence[str] | None = None,
    extra: Mapping[str, nn.Module] | None = None,
) -> dict[str, tuple[Tensor, float]]:
    """Run every method on one noisy image: label → (denoised float (3, H, W) in [0, 1], seconds).

    noisy: float (3, H, W). methods: keys of `CLASSICAL` (default: all). extra: label → trained model, run with
    `n2n_lib.inference.denoise`. The noisy input itself is the first entry (0 seconds).
    """
    out = {NOISY_LABEL: (noisy.clamp(0, 1), 0.0)}
    for key in _check_methods(methods):
        label, method = CLASSICAL[key]
        start = time.perf_counter()
        result = method(noisy, sigma)
        out[label] = (result.clamp(0, 1), time.perf_counter() - start)
    for label, model in (extra or {}).items():
        start = time.perf_counter()
        result = denoise(model, noisy)
        out[label] = (result, time.perf_counter() - start)
    return out


def run_baselines(
    images: Mapping[str, Tensor],
    sigma: float = 25,
    seed: int = 0,
    methods: Sequence[str] | None = None,
    extra: Mapping[str, nn.Module] | None = None,
    crop: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """The baselines table: one row per method, mean over `images` of PSNR (dB), SSIM and seconds per image.

    images: name → uint8 (3, H, W). sigma: Gaussian noise std in 0-255 units, known to the methods that need it.
    methods: keys of `CLASSICAL` (default: all). extra: label → trained model (e.g. {"N2C": …, "N2N": …}).
    crop: evaluate centre crops of this size (fast) instead of whole images (None).
    Every method sees the very same noisy image (`n2n_lib.evaluate.noisy_eval_set`: image i in name order gets noise
    seeded with seed + i). Columns: `COLUMNS`; PSNR rounded to 0.01 dB, SSIM to 0.001, seconds to 3 significant
    digits. The first row is the noisy input itself.
    """
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not 0 < sigma <= 255:
        raise InputError(f"sigma={sigma!r} must be a noise std in 0-255 units, 0 < sigma <= 255 (e.g. 25).")
    methods = _check_methods(methods)
    data = noisy_eval_set(images, f"gaussian:{sigma}", seed, crop)
    scores: dict[str, list[tuple[float, float, float]]] = {}
    bar = tqdm(total=len(data) * (1 + len(methods) + len(extra or {})), desc="baselines", disable=not progress)
    for name, clean, noisy in data:
        bar.set_postfix(image=name)
        for label, (result, seconds) in denoise_all(noisy, sigma, methods, extra).items():
            quality = (psnr(result, clean).item(), ssim(result, clean).item())
            scores.setdefault(label, []).append((*quality, seconds))
            bar.update()
    bar.close()
    rows = []
    for label, values in scores.items():
        p, s, t = np.mean(values, axis=0)
        rows.append((label, round(float(p), 2), round(float(s), 3), float(f"{t:.3g}")))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def plot_baselines(table: pd.DataFrame, highlight: Sequence[str] = ("N2C", "N2N"), title: str | None = None) -> Figure:
    """Horizontal PSNR bars, one per method, SSIM written at each bar; `highlight` rows (the networks) in orange.

    table: as returned by `run_baselines` (columns method, PSNR, SSIM, …). The noisy input's bar is grey.
    """
    missing = {"method", "PSNR", "SSIM"} - set(table.columns)
    if missing:
        shown = ", ".join(sorted(missing))
        raise InputError(f"table lacks column(s) {shown}; pass the DataFrame that run_baselines returns.")
    labels = list(table["method"])[::-1]  # first row on top
    values = list(table["PSNR"])[::-1]
    ssims = list(table["SSIM"])[::-1]
    colors = ["0.6" if m == NOISY_LABEL else "C1" if m in highlight else "C0" for m in labels]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(labels) + 1.2))
    ax.barh(labels, values, color=colors)
    low = min(values) - 2
    for y, (v, s) in enumerate(zip(values, ssims, strict=True)):
        ax.text(v + 0.1, y, f"{v:.2f} dB · SSIM {s:.3f}", va="center", fontsize=8)
    ax.set_xlim(low, max(values) + 4.5)
    ax.set_xlabel("PSNR (dB), higher is better")
    ax.grid(axis="x", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
