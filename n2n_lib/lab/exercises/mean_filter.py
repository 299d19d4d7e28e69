"""Notebook 05's exercise: a 3×3 mean filter by hand, checked against `n2n_lib.baselines.mean_filter`.

The student's ``mean_filter_3x3(noisy)`` runs on seeded noisy test images and on two probes that make the usual slips
visible: an image with only a red channel (colours mixed across channels) and a single bright pixel (its output is the
filter's window and weights). Then the borders are compared with the usual wrong ways to pad.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from n2n_lib.lab import solutions
from n2n_lib.lab.exercises.grading import Wrong, call, grade

_SIZES = ((20, 28), (9, 16))  # (H, W): not square, so that swapped axes show
_ATOL = 1e-5  # float32 sums of nine values against scipy's float64

_REPEAT = 'F.pad(noisy, (1, 1, 1, 1), mode="replicate") repeats the edge pixels, like the library'
_BORDER_SLIPS = {
    "constant": f"the borders are padded with zeros, so the image darkens towards its edges: {_REPEAT}",
    "reflect": (
        'torch\'s mode="reflect" mirrors the image without repeating the edge pixel (scipy calls that "mirror"): '
        'repeat it, mode="replicate" (what scipy calls "reflect")'
    ),
    "circular": f"the borders wrap around to the opposite edge: {_REPEAT}",
    "inside": f"at the borders it averages only the pixels inside the image: {_REPEAT}",
    "unfiltered": f"the border pixels are left as they were: filter them too — {_REPEAT}",
}


def check_mean_filter(mean_filter_3x3: Callable[[Tensor], Tensor]) -> Callable:
    """Notebook 05: ``mean_filter_3x3(noisy)`` on a float (3, H, W) tensor must give `n2n_lib.baselines.mean_filter`'s
    result: the mean of each 3×3 neighbourhood, channel by channel, edge pixels repeated at the borders."""
    from n2n_lib.baselines import mean_filter  # scipy.ndimage.uniform_filter; imported here, notebooks 01-04 skip it

    def find_problem(fn: Callable) -> None:
        for seed, (h, w) in enumerate(_SIZES):
            noisy = _noisy_image(h, w, seed)
            got = _run(fn, noisy)
            want = mean_filter(noisy, 25)  # the library's filter ignores σ
            if not torch.allclose(got, want, rtol=0, atol=_ATOL):
                raise Wrong(_diagnosis(fn, noisy, got, want))

    return grade(
        mean_filter_3x3,
        solutions.mean_filter_3x3,
        find_problem,
        "the mean of each 3×3 neighbourhood, channel by channel, borders as the library's mean filter",
    )


def _noisy_image(h: int, w: int, seed: int) -> Tensor:
    """A seeded float32 (3, h, w) test image: random values with a white band (left) and a black band (right), plus
    Gaussian noise of σ = 25/255, not clipped — so there are values outside [0, 1], as in `noisy_eval_set`."""
    g = torch.Generator().manual_seed(seed)
    clean = torch.rand(3, h, w, generator=g)
    clean[:, :, : w // 4] = 1.0
    clean[:, :, w - w // 4 :] = 0.0
    return clean + 25 / 255 * torch.randn(3, h, w, generator=g)


def _run(fn: Callable, noisy: Tensor) -> Tensor:
    """fn(noisy), with Wrong unless it is a tensor of noisy's shape and dtype and noisy is left unchanged."""
    given = noisy.clone()
    got = call(fn, given)
    if not torch.equal(given, noisy):
        raise Wrong("it changed `noisy` in place: compute a new tensor and leave the input as it was")
    if not isinstance(got, Tensor):
        if type(got).__module__ == "numpy":
            raise Wrong("it returned a numpy array: return a torch tensor (torch.from_numpy(...))")
        raise Wrong(f"it returned {type(got).__name__}, not a tensor: return a float (3, H, W) tensor")
    want = tuple(noisy.shape)
    c, h, w = want
    shape = tuple(got.shape)
    if shape != want:
        hints = {
            (c, h - 2, w - 2): "one pixel is lost at every border: pad the input by one pixel first",
            (1, c, h, w): "drop the batch dimension you added ([0] or .squeeze(0))",
            (h, w, c): "channels last: permute back to (3, H, W)",
        }
        hint = hints.get(shape, "return a tensor shaped like the input")
        raise Wrong(f"it returned shape {shape} for a {want} input: {hint}")
    if got.dtype != noisy.dtype:
        raise Wrong(f"it returned {got.dtype} for a {noisy.dtype} input: return the input's dtype (.to(noisy.dtype))")
    return got


def _close(a: Tensor, b: Tensor) -> bool:
    return torch.allclose(a, b, rtol=0, atol=_ATOL)


def _box(noisy: Tensor, border: str) -> Tensor:
    """A 3×3 mean of (3, H, W) `noisy` with a border rule: a `F.pad` mode ("replicate" is right), "inside" or
    "unfiltered"."""
    x = noisy[None]  # (1, 3, H, W)
    if border == "inside":
        return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)[0]
    if border == "unfiltered":
        out = noisy.clone()
        out[:, 1:-1, 1:-1] = F.avg_pool2d(x, 3, stride=1)[0]
        return out
    return F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode=border), 3, stride=1)[0]


def _diagnosis(fn: Callable, noisy: Tensor, got: Tensor, want: Tensor) -> str:
    """Why `got` is not the 3×3 mean `want` of `noisy`: clipping, colours, window, weights, borders, in that order."""
    if _close(got, want.clamp(0, 1)):
        return "it clipped the result to [0, 1]: the library's filter does not (evaluate_set clips before scoring)"
    if _close(got, _box(noisy.clamp(0, 1), "replicate")):
        return "it clipped the noisy input to [0, 1] first, which brightens the shadows: average the values as they are"
    red = torch.zeros_like(noisy)
    red[0] = noisy[0]
    if _run(fn, red)[1:].abs().max() > _ATOL:
        return (
            "it mixes the colour channels (an image with only a red channel came out with green or blue): "
            "average each channel on its own, over H and W only (for scipy: size=(1, 3, 3))"
        )
    inner = (slice(None), slice(1, -1), slice(1, -1))
    if _close(got[inner], want[inner]):
        slip = next((s for border, s in _BORDER_SLIPS.items() if _close(got, _box(noisy, border))), None)
        return slip or f"inside the image it is right but not at the borders: {_REPEAT}"
    return _window_diagnosis(fn) or (
        f"the values differ from the 3×3 mean by up to {(got - want).abs().max().item():.3g}: "
        "each output pixel is the mean of the 9 pixels around it, channel by channel"
    )


def _window_diagnosis(fn: Callable) -> str | None:
    """What a single bright pixel shows of the filter's window and weights, or None if it looks right."""
    dot = torch.zeros(3, 11, 13)
    dot[:, 5, 6] = 1.0
    seen = _run(fn, dot)[0]  # the red channel's response: the filter's window and weights
    rows, cols = seen.abs().gt(_ATOL).any(1).nonzero(), seen.abs().gt(_ATOL).any(0).nonzero()
    if len(rows) == 0:
        return "a single bright pixel vanished: that is not a mean (a median does this); average the 3×3 window"
    h, w = int(rows[-1] - rows[0]) + 1, int(cols[-1] - cols[0]) + 1
    if (h, w) != (3, 3):
        return f"the window is {h}×{w} pixels: average a 3×3 window, one pixel on each side"
    if (int(rows[0]), int(cols[0])) != (4, 5):
        return "the 3×3 window is not centred on its pixel: pad one pixel on every side, then take the window around it"
    window = seen[4:7, 5:8]
    if not torch.allclose(window, window[0, 0].expand(3, 3), atol=_ATOL):
        return "the 9 pixels do not count equally: in a mean filter each counts 1/9 (a box, not a Gaussian)"
    if torch.allclose(window, torch.ones(3, 3), atol=_ATOL):
        return "that is the sum of the 9 pixels: divide by 9 for the mean"
    if not torch.allclose(window, torch.full((3, 3), 1 / 9), atol=_ATOL):
        return f"each pixel of the window counts {window[0, 0].item():.3g}, not 1/9: divide the window's sum by 9"
    return None
