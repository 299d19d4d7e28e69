"""The evaluation protocol: which images, which noise, which numbers (taught in notebooks ``03_training`` and
``05_results``).

Every number measured on held-out photos — ``python -m n2n_lib evaluate``, the baselines table of notebook 05, the
benchmarks — goes through this module, so that they all score the same images with the same noise:

1. the images of a folder (`list_images`, `read_images`; ``data/eval`` is `eval_images`), named by file stem and
   taken in name order, optionally cut to their centre (`center_crop`);
2. `noisy_eval_set`: image i in name order gets its noise from ``torch.Generator().manual_seed(seed + i)``, so an
   image's noise depends on its rank, the seed and the noise spec, never on the denoiser that will see it;
3. `evaluate_set`: denoise every noisy image with a model or any function, and measure PSNR (dB) and SSIM against the
   clean image, per image and on average. `evaluate_folder` is steps 1-3 for a folder in one call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor, nn

from n2n_lib.data import IMAGE_SUFFIXES, read_image, to_float
from n2n_lib.errors import InputError
from n2n_lib.inference import denoise
from n2n_lib.metrics import psnr, ssim
from n2n_lib.noise import add_noise, parse_noise
from n2n_lib.paths import data_dir

MIN_CROP = 16  # smallest centre crop an evaluation accepts: below it a PSNR says little about a photo

Denoiser = nn.Module | Callable[[Tensor], Tensor]


class EvalImage(NamedTuple):
    """One image of an evaluation set: float (3, h, w) tensors, `clean` in [0, 1], `noisy` not clipped."""

    name: str
    clean: Tensor
    noisy: Tensor


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files directly in `folder` (suffixes `n2n_lib.data.IMAGE_SUFFIXES`, any case), sorted by stem.

    Hidden files (``.name``) and other files (SOURCES.md, …) are ignored; sub-folders are not searched.
    Raises InputError naming the folder when it does not exist, holds no image, or holds two images with one stem.
    """
    folder = Path(folder).expanduser()
    suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
    if not folder.is_dir():
        raise InputError(f"image folder {folder} does not exist; pass a folder of images ({suffixes}), e.g. data/eval.")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    files = sorted((p for p in files if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: (p.stem, p.suffix))
    if not files:
        raise InputError(f"image folder {folder} holds no images ({suffixes}); add some or pass another folder.")
    for a, b in zip(files, files[1:], strict=False):
        if a.stem == b.stem:
            raise InputError(f"image folder {folder} holds {a.name} and {b.name}; rename one (results are by name).")
    return files


def read_images(folder: str | os.PathLike) -> dict[str, Tensor]:
    """Every image of `folder` (see `list_images`) as file stem → uint8 (3, H, W), in name order."""
    return {path.stem: read_image(path) for path in list_images(folder)}


def eval_images() -> dict[str, Tensor]:
    """The evaluation photos in ``data/eval`` (see SOURCES.md there), file stem → uint8 (3, H, W), in name order.

    They are never used for training or validation.
    """
    return read_images(data_dir() / "eval")


def _check_size(size: object) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"crop size {size!r} must be a positive whole number of pixels (e.g. 96), or None.")


def center_crop(image: Tensor, size: int | None) -> Tensor:
    """The central window of `image` (..., H, W), at most size×size: a side shorter than `size` is kept whole.

    size: a positive number of pixels, or None for the whole image. Raises InputError for any other size.
    """
    if size is None:
        return image
    _check_size(size)
    h, w = image.shape[-2:]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[..., top : top + size, left : left + size]


def _check_image(name: str, image: object, crop: int | None) -> None:
    """InputError unless `image` is uint8 (3, H, W) and a `crop` (already a positive int) fits inside it."""
    if not isinstance(image, Tensor) or image.dtype != torch.uint8 or image.ndim != 3 or image.shape[0] != 3:
        found = f"{image.dtype} {tuple(image.shape)}" if isinstance(image, Tensor) else type(image).__name__
        raise InputError(f"image {name!r} must be a uint8 (3, H, W) tensor, got {found}.")
    if crop is not None and not MIN_CROP <= crop <= min(image.shape[1:]):
        raise InputError(
            f"crop={crop} does not fit image {name!r} ({image.shape[1]}×{image.shape[2]}); use a crop between "
            f"{MIN_CROP} and its smallest side ({min(image.shape[1:])}), or None for whole images."
        )


def noisy_eval_set(images: Mapping[str, Tensor], noise: str, seed: int = 0, crop: int | None = None) -> list[EvalImage]:
    """(name, clean, noisy) for every image, in name order: float (3, h, w) tensors, noisy not clipped.

    images: name → uint8 (3, H, W), e.g. `eval_images()`. noise: a spec such as ``gaussian:25``
    (`n2n_lib.noise.parse_noise`). crop: centre crop side in pixels (`MIN_CROP` up to the smallest image side), or
    None for whole images; the noise is drawn on the crop itself.
    The image at position i of the sorted names (``sorted(images)``) gets its noise from
    ``torch.Generator().manual_seed(seed + i)``, whatever the mapping's order, so a folder read by `read_images` and
    the same images in a dict of any order get the same noise.
    """
    spec = parse_noise(noise)
    if not images:
        raise InputError("images is empty; pass name → uint8 (3, H, W) images such as n2n_lib.evaluate.eval_images().")
    if crop is not None:
        _check_size(crop)
    out = []
    for i, name in enumerate(sorted(images)):
        _check_image(name, images[name], crop)
        clean = center_crop(to_float(images[name]), crop)  # (3, h, w)
        noisy = add_noise(clean[None], spec, generator=torch.Generator().manual_seed(seed + i))[0]
        out.append(EvalImage(name, clean, noisy))
    return out


def _denoised(denoiser: Denoiser, item: EvalImage, precision: str) -> Tensor:
    """`item.noisy` denoised, float (3, h, w): a model through `n2n_lib.inference.denoise`, a function called as is."""
    if isinstance(denoiser, nn.Module):
        return denoise(denoiser, item.noisy, precision=precision)
    out = denoiser(item.noisy)
    if not isinstance(out, Tensor) or out.shape != item.noisy.shape:
        found = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        raise InputError(
            f"the denoiser returned {found} for image {item.name!r}; it must return a float tensor shaped like its "
            f"input {tuple(item.noisy.shape)}."
        )
    return out


def evaluate_set(
    denoiser: Denoiser,
    eval_set: Sequence[EvalImage],
    precision: str = "auto",
    with_ssim: bool = True,
    rounded: bool = True,
) -> dict:
    """Denoise each noisy image of `eval_set` (from `noisy_eval_set`) and score it against its clean image.

    denoiser: a model (run by `n2n_lib.inference.denoise` with `precision`, one image at a time) or any function from
    a float (3, h, w) noisy image to its denoised version of the same shape. Outputs, and the noisy inputs scored as
    "noisy_*", are clamped to [0, 1] before scoring, as a saved image would be. with_ssim: False skips SSIM (about
    0.25 s per 768×512 image on one CPU core). rounded: PSNR to 0.01 dB and SSIM to 0.001, each mean being the rounded
    mean of the rounded values; False keeps full precision. Returns ``{"images": {name: {"noisy_psnr", "psnr",
    "noisy_ssim", "ssim"}}, "mean_noisy_psnr", "mean_psnr", "mean_noisy_ssim", "mean_ssim"}`` (no SSIM keys without
    `with_ssim`): PSNR in dB (+inf for a perfect result), SSIM at most 1.
    """
    if not eval_set:
        raise InputError("eval_set is empty; make one with noisy_eval_set(images, noise, seed).")
    if not callable(denoiser):
        raise InputError(f"denoiser is a {type(denoiser).__name__}; pass a model or a function noisy → denoised.")
    metrics = {"psnr": (psnr, 2), "ssim": (ssim, 3)} if with_ssim else {"psnr": (psnr, 2)}
    keys = [(prefix + name, decimals) for name, (_, decimals) in metrics.items() for prefix in ("noisy_", "")]
    images = {}
    for item in eval_set:
        out = _denoised(denoiser, item, precision)
        scores = {}
        for name, (metric, decimals) in metrics.items():
            for prefix, x in (("noisy_", item.noisy), ("", out)):
                value = metric(x, item.clean).item()
                scores[prefix + name] = round(value, decimals) if rounded else value
        images[item.name] = scores
    means = {}
    for key, decimals in keys:
        mean = sum(r[key] for r in images.values()) / len(images)
        means[f"mean_{key}"] = round(mean, decimals) if rounded else mean
    return {"images": images, **means}


def evaluate_folder(
    denoiser: Denoiser,
    folder: str | os.PathLike,
    noise: str,
    seed: int = 0,
    crop: int | None = None,
    precision: str = "auto",
    with_ssim: bool = True,
) -> dict:
    """Add `noise` to every image of `folder` (grey → RGB, whole or centre-cropped), denoise it and score it.

    Short for ``evaluate_set(denoiser, noisy_eval_set(read_images(folder), noise, seed, crop), precision,
    with_ssim)``: image i in name order gets noise seeded with ``seed + i``; values rounded as `evaluate_set` says.
    Behind ``python -m n2n_lib evaluate`` and notebook 05's ``results/pretrained_eval.json``.
    """
    return evaluate_set(denoiser, noisy_eval_set(read_images(folder), noise, seed, crop), precision, with_ssim)
