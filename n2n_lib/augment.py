"""Batch data augmentation for noisy pairs (taught in notebook ``03_training``).

Everything works on whole batches on their own device: each sample's random decisions are a boolean mask or a number
per sample, applied with ``torch.where`` or a batched matrix product, never a Python loop over samples.

* Flips: horizontal and vertical, decided per sample and applied identically to source, target and clean.
* Swap: exchanges source and target per sample with probability 0.5. In Noise2Noise both are noisy copies of the same
  image, so which one is the input is arbitrary; swapping doubles the pairs the network sees. Clean is not touched.
* Colour: a brightness change and a small hue shift, identical for source, target and clean. Both are affine maps
  that send [0, 1] into [0, 1] (so no clamping is needed), and affine maps keep zero-mean noise zero-mean — which is
  what Noise2Noise relies on. Values outside [0, 1] (unclipped noise) are transformed, never clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from n2n_lib.errors import InputError

# R <- G, G <- B, B <- R: mixing a little of the next channel into each turns hues one way, its transpose the other.
_CYCLE = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


@dataclass
class AugmentConfig:
    """Which augmentations `augment` applies, and how strong the colour jitter is."""

    flips: bool = True  # random horizontal and vertical flips, per sample, same for source and target
    swap: bool = True  # swap source and target per sample with probability 0.5 (N2N symmetry)
    color: bool = False  # random brightness and hue jitter, identical for source, target and clean
    brightness: float = 0.2  # largest brightness change: up to 20 % towards black or towards white
    hue: float = 0.1  # largest weight of the neighbouring channel in the hue shift (1.0 would turn R into G)


def _colour_jitter(images: list[Tensor], u: Tensor, config: AugmentConfig) -> list[Tensor]:
    """Apply one random brightness/hue map per sample to every tensor in `images`, (B, 3, H, W) each.

    u: (B, 2) uniform numbers in [0, 1) that pick the brightness and hue of each sample.
    """
    dtype, device = images[0].dtype, images[0].device
    beta = (config.brightness * (2 * u[:, 0] - 1)).to(dtype)  # (B,) < 0 darkens, > 0 brightens
    mix = (config.hue * (2 * u[:, 1] - 1)).to(dtype)  # (B,) signed channel-mixing weight
    cycle, eye = _CYCLE.to(device, dtype), torch.eye(3, device=device, dtype=dtype)
    # Each row of M is a convex combination of the channels: grey stays grey and [0, 1]^3 maps into itself.
    m = (1 - mix.abs()).view(-1, 1, 1) * eye + mix.clamp(min=0).view(-1, 1, 1) * cycle  # (B, 3, 3)
    m = m + (-mix).clamp(min=0).view(-1, 1, 1) * cycle.T
    gain = (1 - beta.abs()).view(-1, 1, 1, 1)  # x -> gain·x + offset: towards black (offset 0) or white (offset β)
    offset = beta.clamp(min=0).view(-1, 1, 1, 1)
    return [gain * torch.einsum("bij,bjhw->bihw", m, x) + offset for x in images]


def augment(
    source: Tensor,
    target: Tensor,
    config: AugmentConfig,
    generator: torch.Generator | None = None,
    clean: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Randomly flip, swap and colour-jitter a batch; returns (source, target, clean) transformed consistently.

    source, target, clean: float (B, C, H, W), usually in [0, 1]; clean is optional and is never swapped.
    `generator`, if given, must live on the batch's device; the same seed gives the same augmentation.
    The random numbers drawn do not depend on `config`, so turning one option off leaves the others' decisions as they
    were. Colour jitter needs C == 3.
    """
    if source.shape != target.shape or source.ndim != 4 or (clean is not None and clean.shape != source.shape):
        shapes = [tuple(x.shape) for x in (source, target, clean) if x is not None]
        raise InputError(f"augment needs source, target (and clean) of one (B, C, H, W) shape, got {shapes}.")
    if config.color and source.shape[1] != 3:
        raise InputError(f"colour jitter needs RGB images (C == 3), got C = {source.shape[1]}; set color=False.")
    u = torch.rand(source.shape[0], 5, generator=generator, device=source.device)  # (B, 5): hflip vflip swap bright hue
    images = [source, target] + ([clean] if clean is not None else [])
    if config.flips:
        for column, dim in ((0, -1), (1, -2)):  # horizontal flips reverse the width axis, vertical ones the height
            flip = (u[:, column] < 0.5).view(-1, 1, 1, 1)  # (B, 1, 1, 1)
            images = [torch.where(flip, x.flip(dim), x) for x in images]
    if config.swap:
        swap = (u[:, 2] < 0.5).view(-1, 1, 1, 1)
        images[0], images[1] = torch.where(swap, images[1], images[0]), torch.where(swap, images[0], images[1])
    if config.color:
        images = _colour_jitter(images, u[:, 3:], config)
    return images[0], images[1], images[2] if clean is not None else None
