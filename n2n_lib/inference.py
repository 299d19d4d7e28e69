"""Denoising with a trained model: float image tensors in, denoised tensors out.

Taught in notebook ``05_results``; behind ``python -m n2n_lib denoise`` and every evaluation (`n2n_lib.evaluate`).
`denoise` runs a copy of the model in the fastest layout the hardware offers: bf16 weights in channels_last memory
order where bf16 is native (CUDA, CPUs with AVX512-BF16/AMX), plain fp32 NCHW elsewhere (fp32 channels_last is slower
on CPUs). bf16 changes the PSNR on
data/eval by a few hundredths of a dB at most; benchmarks/inference_latency.py measures both the time and that change.
"""

from __future__ import annotations

import copy
import weakref

import torch
from torch import Tensor, nn

from n2n_lib.errors import InputError
from n2n_lib.hardware import configure_cpu_threads, use_bf16

PRECISIONS = ("auto", "fp32", "bf16")

# model -> (weights fingerprint, precision, inference copy): the slider calls `denoise` on one model many times.
_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _inference_copy(model: nn.Module, bf16: bool) -> nn.Module:
    """`model` itself if it already has the fast layout, else a cached eval-mode copy in it (the original is untouched).

    Fast layout: bf16 weights in channels_last order when `bf16`, fp32 in the default (NCHW) order otherwise.
    The cache is refreshed whenever the model's weights change: an in-place update bumps a tensor's version, a move or
    reassignment changes its storage.
    """
    dtype, layout = (torch.bfloat16, torch.channels_last) if bf16 else (torch.float32, torch.contiguous_format)
    if all(p.dtype == dtype and p.is_contiguous(memory_format=layout) for p in model.parameters() if p.dim() == 4):
        return model
    fingerprint = tuple((p.data_ptr(), p._version, p.device) for p in model.parameters())
    cached = _COPIES.get(model)
    if cached is not None and cached[0] == fingerprint and cached[1] == bf16:
        return cached[2]
    fast = copy.deepcopy(model).to(dtype=dtype, memory_format=layout).eval()
    _COPIES[model] = (fingerprint, bf16, fast)
    return fast


@torch.no_grad()
def denoise(model: nn.Module, noisy: Tensor, batch_size: int = 64, precision: str = "auto") -> Tensor:
    """Denoise float images (B, C, H, W) or (C, H, W) in [0, 1] (noisy values may leave that range).

    Runs on the model's device in eval mode, in batches; returns a float tensor clamped to [0, 1] on `noisy`'s device.
    precision: "auto" (bf16 where the hardware computes it natively, see `n2n_lib.hardware.use_bf16`; fp32 elsewhere),
    "fp32" (exact: same numbers as calling the model) or "bf16". `model` itself is never modified.
    """
    if precision not in PRECISIONS:
        raise InputError(f"denoise precision {precision!r} is unknown; use one of {', '.join(PRECISIONS)}.")
    single = noisy.dim() == 3
    x = noisy[None] if single else noisy
    device = next(model.parameters()).device
    if device.type == "cpu":
        configure_cpu_threads()
    bf16 = use_bf16(precision, device)
    net = _inference_copy(model, bf16)
    was_training = net.training
    net.eval()
    layout, dtype = (torch.channels_last, torch.bfloat16) if bf16 else (torch.contiguous_format, torch.float32)
    outs = [
        net(x[i : i + batch_size].to(device, dtype).contiguous(memory_format=layout)).float()
        for i in range(0, x.shape[0], batch_size)
    ]
    net.train(was_training)
    out = torch.cat(outs).clamp_(0, 1).to(noisy.device)
    return out[0] if single else out
