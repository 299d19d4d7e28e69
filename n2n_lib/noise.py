"""Synthetic noise models, parsed from short specs such as ``gaussian:25`` (taught in notebook ``01_data_preparation``).

A spec is ``kind:value`` (evaluation mode: one fixed parameter) or ``kind:low-high`` (training mode: every image draws
its own parameter uniformly from the range, so one network learns a whole range of noise levels, a "blind" model).

| kind      | parameter                                      | corruption                                    |
|-----------|------------------------------------------------|-----------------------------------------------|
| gaussian  | σ in 0-255 units, 0 <= σ <= 255                | x + σ/255 · N(0, 1), zero mean                |
| poisson   | λ, photons at white, λ > 0                     | Poisson(λ·x) / λ, zero mean, variance x/λ     |
| bernoulli | p, probability a pixel is dropped, 0 <= p < 1  | pixel set to 0 (all channels together)        |
| impulse   | p, fraction of pixels replaced, 0 <= p <= 1    | pixel replaced by a uniform random colour     |
| text      | p, fraction of pixels covered, 0 <= p < 1      | random strings in random colours drawn on top |

All images are float tensors (B, C, H, W) in [0, 1]. Noise is drawn on the batch's own device for the whole batch at
once; pass a seeded ``torch.Generator`` living on that device to get the same noise every time.
"""

from __future__ import annotations

import functools
import random
import re
import string
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

from n2n_lib.errors import InputError

NOISE_KINDS = ("gaussian", "poisson", "bernoulli", "impulse", "text")

# Valid parameters per kind: (min, min allowed?, max, max allowed?) and the wording shown in error messages.
# p = 1 is refused for bernoulli and text because nothing of the image would be left to learn from.
_LIMITS = {
    "gaussian": (0.0, True, 255.0, True, "σ in 0-255 units, 0 <= σ <= 255"),
    "poisson": (0.0, False, float("inf"), False, "λ (photons at white), λ > 0"),
    "bernoulli": (0.0, True, 1.0, False, "p = probability a pixel is dropped, 0 <= p < 1"),
    "impulse": (0.0, True, 1.0, True, "p = fraction of pixels replaced, 0 <= p <= 1"),
    "text": (0.0, True, 1.0, False, "p = fraction of pixels covered by text, 0 <= p < 1"),
}
_SYMBOL = {"gaussian": "σ", "poisson": "λ", "bernoulli": "p", "impulse": "p", "text": "p"}
_VALID_FORMS = "gaussian:25, gaussian:0-50, poisson:30, poisson:5-50, bernoulli:0.5, impulse:0.3, text:0.25"
_NUMBER = r"(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
_VALUE_RE = re.compile(rf"^{_NUMBER}(?:-{_NUMBER})?$")


def _fmt(x: float) -> str:
    """Shortest text that parses back to exactly `x` ("25", "0.5")."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


@dataclass(frozen=True)
class NoiseSpec:
    """A noise model and its parameter range; ``low == high`` means a fixed parameter (evaluation mode)."""

    kind: str
    low: float
    high: float

    def __post_init__(self) -> None:
        _check(self.kind, self.low, self.high, str(self))

    @property
    def is_fixed(self) -> bool:
        return self.low == self.high

    def __str__(self) -> str:
        value = _fmt(self.low) if self.is_fixed else f"{_fmt(self.low)}-{_fmt(self.high)}"
        return f"{self.kind}:{value}"


def _check(kind: str, low: float, high: float, shown: str) -> None:
    """Raise InputError unless `kind` is known and low <= high lie in the kind's valid range."""
    if kind not in NOISE_KINDS:
        raise InputError(f"noise spec {shown!r}: unknown kind {kind!r}; use one of {', '.join(NOISE_KINDS)}")
    lo, lo_ok, hi, hi_ok, meaning = _LIMITS[kind]
    if low > high:
        raise InputError(f"noise spec {shown!r}: range low > high; write it as {kind}:low-high with low <= high")
    in_range = (low >= lo if lo_ok else low > lo) and (high <= hi if hi_ok else high < hi)
    if not in_range:
        raise InputError(f"noise spec {shown!r}: out of range; the {kind} parameter is {meaning}")


def parse_noise(spec: str | NoiseSpec) -> NoiseSpec:
    """Parse ``kind:value`` or ``kind:low-high`` (e.g. ``gaussian:25``, ``gaussian:0-50``); a NoiseSpec passes through.

    Raises InputError naming the spec and listing the valid forms.
    """
    if isinstance(spec, NoiseSpec):
        return spec
    if not isinstance(spec, str):
        raise InputError(f"noise spec {spec!r} must be a string such as {_VALID_FORMS}")
    kind, colon, value = spec.replace(" ", "").lower().partition(":")
    if not colon:
        raise InputError(f"noise spec {spec!r} has no ':'; write kind:value or kind:low-high, e.g. {_VALID_FORMS}")
    if kind not in NOISE_KINDS:
        raise InputError(f"noise spec {spec!r}: unknown kind {kind!r}; use one of {', '.join(NOISE_KINDS)}")
    match = _VALUE_RE.match(value)
    if match is None:
        raise InputError(
            f"noise spec {spec!r}: {value!r} is not a number or a range of numbers; write kind:value or "
            f"kind:low-high, e.g. {_VALID_FORMS}"
        )
    low = float(match[1])
    high = float(match[2]) if match[2] is not None else low
    _check(kind, low, high, spec)
    return NoiseSpec(kind, low, high)


def noise_level_label(spec: str | NoiseSpec) -> str:
    """Human label for plots: "Gaussian σ=25", "Poisson λ=30", "Gaussian σ∈[0,50]"."""
    spec = parse_noise(spec)
    value = f"={_fmt(spec.low)}" if spec.is_fixed else f"∈[{_fmt(spec.low)},{_fmt(spec.high)}]"
    return f"{spec.kind.capitalize()} {_SYMBOL[spec.kind]}{value}"


def add_noise(
    clean: Tensor, spec: str | NoiseSpec, generator: torch.Generator | None = None, clip: bool = False
) -> Tensor:
    """Return a noisy copy of `clean`, same shape, dtype and device.

    clean: (B, C, H, W) float in [0, 1]. With a range spec each image draws its own parameter uniformly from
    [low, high]. `generator`, if given, must live on ``clean.device``; the same seed gives identical noise.
    clip=True clamps the result to [0, 1] (needed before packing to uint8). Gaussian and Poisson noise are left
    unclipped by default: clipping would bias their mean, and Noise2Noise relies on zero-mean noise under L2.
    """
    spec = parse_noise(spec)
    if clean.ndim != 4 or not clean.is_floating_point():
        raise InputError(f"clean must be a (B, C, H, W) float tensor in [0, 1], got {clean.dtype} {tuple(clean.shape)}")
    if generator is not None and generator.device.type != clean.device.type:
        raise InputError(f"generator lives on {generator.device} but the images on {clean.device}; create it there")
    b, c, h, w = clean.shape
    dev, g = clean.device, generator
    # One parameter per image; a fixed spec gives exactly `low` (low + 0 · u).
    param = spec.low + (spec.high - spec.low) * torch.rand(b, 1, 1, 1, generator=g, device=dev)  # (B, 1, 1, 1)

    if spec.kind == "gaussian":
        noise = torch.randn(clean.shape, generator=g, device=dev, dtype=clean.dtype)
        noisy = clean + param.to(clean.dtype) / 255 * noise
    elif spec.kind == "poisson":
        rate = param * clean.float().clamp(min=0)  # photon counts; a rate must be >= 0
        noisy = (torch.poisson(rate, generator=g) / param).to(clean.dtype)
    elif spec.kind == "bernoulli":
        keep = torch.rand(b, 1, h, w, generator=g, device=dev) >= param  # (B, 1, H, W), all channels together
        noisy = clean * keep
    elif spec.kind == "impulse":
        hit = torch.rand(b, 1, h, w, generator=g, device=dev) < param  # (B, 1, H, W)
        colour = torch.rand(clean.shape, generator=g, device=dev, dtype=clean.dtype)
        noisy = torch.where(hit, colour, clean)
    else:
        noisy = _add_text(clean, param.view(b), g)
    return noisy.clamp(0, 1) if clip else noisy


_FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
_BANK_STRINGS = 128  # strings per font size
_MAX_LAYERS = 5000  # safety bound only; a 32x32 image at p=0.5 takes about 20 layers


@functools.lru_cache(maxsize=16)
def _text_bank(base_px: int, device: str) -> Tensor:
    """Binary masks of random strings, (N, Hb, Wb) bool, each string centred; rendered once per size and device.

    Font sizes are base, 1.5·base and 2·base pixels. A fixed seed makes the bank, and so the noise, reproducible.
    """
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits
    masks = []
    for size in (base_px, round(1.5 * base_px), 2 * base_px):
        font = ImageFont.truetype(str(_FONT), size)
        for _ in range(_BANK_STRINGS):
            text = "".join(rng.choices(alphabet, k=rng.randint(2, 8)))
            left, top, right, bottom = font.getbbox(text)
            image = Image.new("L", (right - left, bottom - top))
            ImageDraw.Draw(image).text((-left, -top), text, fill=255, font=font)
            masks.append(torch.from_numpy(np.array(image) > 127))  # binary: a pixel is text or not
    hb, wb = max(m.shape[0] for m in masks), max(m.shape[1] for m in masks)
    bank = torch.zeros(len(masks), hb, wb, dtype=torch.bool)
    for i, m in enumerate(masks):
        top, left = (hb - m.shape[0]) // 2, (wb - m.shape[1]) // 2
        bank[i, top : top + m.shape[0], left : left + m.shape[1]] = m
    return bank.to(device)


def _place(bank: Tensor, index: Tensor, cy: Tensor, cx: Tensor, h: int, w: int) -> Tensor:
    """Masks bank[index] centred at pixel (cy, cx) of an h×w canvas, cut at its edges.

    index, cy, cx: (B,) long. Returns (B, h, w) bool.
    """
    _, hb, wb = bank.shape
    rows = torch.arange(h, device=bank.device) - (cy[:, None] - hb // 2)  # (B, h) row inside the mask
    cols = torch.arange(w, device=bank.device) - (cx[:, None] - wb // 2)  # (B, w)
    inside = ((rows >= 0) & (rows < hb))[:, :, None] & ((cols >= 0) & (cols < wb))[:, None, :]  # (B, h, w)
    picked = bank[index[:, None, None], rows.clamp(0, hb - 1)[:, :, None], cols.clamp(0, wb - 1)[:, None, :]]
    return picked & inside


def _add_text(clean: Tensor, p: Tensor, g: torch.Generator | None) -> Tensor:
    """Draw random strings in random colours until about fraction p[b] of image b is covered. p: (B,)."""
    b, c, h, w = clean.shape
    dev = clean.device
    bank = _text_bank(int(min(max(min(h, w) / 4, 8), 16)), str(dev))  # text grows with the image, within limits
    noisy = clean.clone()
    covered = torch.zeros(b, h, w, dtype=torch.bool, device=dev)
    coverage = torch.zeros(b, device=dev)
    active = p > 0  # (B,) images still below their target
    for _ in range(_MAX_LAYERS):
        # One candidate string per image, drawn for the whole batch; images that are already done ignore theirs.
        index = torch.randint(len(bank), (b,), generator=g, device=dev)
        cy = torch.randint(h, (b,), generator=g, device=dev)
        cx = torch.randint(w, (b,), generator=g, device=dev)
        colour = torch.rand(b, c, 1, 1, generator=g, device=dev, dtype=clean.dtype)
        mask = _place(bank, index, cy, cx, h, w)  # (B, H, W)
        new_coverage = (covered | mask).flatten(1).float().mean(1)  # (B,)
        # The layer that would cross p is kept only if it lands closer to p than stopping short does, so coverage
        # ends within half a string of p on either side instead of always overshooting by up to a whole string.
        accept = active & (new_coverage - p <= p - coverage)
        active &= new_coverage < p
        mask &= accept[:, None, None]
        noisy = torch.where(mask[:, None], colour, noisy)  # (B, C, H, W)
        covered |= mask
        coverage = torch.where(accept, new_coverage, coverage)
        if not bool(active.any()):
            break
    return noisy
