"""Denoising with a trained model: tensors, image files and whole folders.

Taught in notebook ``05_results``; behind ``python -m n2n_lib evaluate`` and ``denoise``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

from n2n_lib.data import read_image, to_float
from n2n_lib.errors import InputError
from n2n_lib.metrics import psnr
from n2n_lib.noise import add_noise, parse_noise

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@torch.no_grad()
def denoise(model: nn.Module, noisy: Tensor, batch_size: int = 64) -> Tensor:
    """Denoise float images (B, C, H, W) or (C, H, W) in [0, 1] (noisy values may leave that range).

    Runs on the model's device in eval mode, in batches; returns a float tensor clamped to [0, 1] on `noisy`'s device.
    """
    single = noisy.dim() == 3
    x = noisy[None] if single else noisy
    p = next(model.parameters())
    was_training = model.training
    model.eval()
    out = (
        torch.cat(
            [
                model(x[i : i + batch_size].to(p.device, p.dtype).contiguous(memory_format=torch.channels_last)).float()
                for i in range(0, x.shape[0], batch_size)
            ]
        )
        .clamp_(0, 1)
        .to(noisy.device)
    )
    model.train(was_training)
    return out[0] if single else out


def list_images(folder: str | os.PathLike) -> list[Path]:
    """PNG and JPEG files directly in `folder`, sorted by name; InputError if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"image folder {folder} does not exist; pass a folder of PNG or JPEG files (e.g. data/eval).")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"image folder {folder} has no PNG or JPEG files; pass a folder of images (e.g. data/eval).")
    return files


def evaluate_folder(model: nn.Module, folder: str | os.PathLike, noise: str, seed: int = 0) -> dict:
    """Add `noise` to every image of `folder` at its native size (grey → RGB), denoise, and measure PSNR.

    Image i gets noise from a generator seeded with ``seed + i`` (files sorted by name), so results do not depend on
    which other images are in the folder's prefix. Returns
    ``{"images": {name: {"noisy_psnr", "psnr"}}, "mean_noisy_psnr", "mean_psnr"}`` with values in dB, rounded to 0.01.
    """
    spec = parse_noise(noise)
    results = {}
    for i, path in enumerate(list_images(folder)):
        clean = to_float(read_image(path))[None]  # (1, 3, H, W)
        gen = torch.Generator().manual_seed(seed + i)
        noisy = add_noise(clean, spec, generator=gen)
        out = denoise(model, noisy)
        results[path.stem] = {
            "noisy_psnr": round(psnr(noisy, clean).item(), 2),
            "psnr": round(psnr(out, clean).item(), 2),
        }
    mean = lambda key: round(sum(r[key] for r in results.values()) / len(results), 2)  # noqa: E731
    return {"images": results, "mean_noisy_psnr": mean("noisy_psnr"), "mean_psnr": mean("psnr")}
