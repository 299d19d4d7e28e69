"""Where and how fast to compute: the device, bf16 or fp32, and how many CPU threads.

Used by `n2n_lib.train` (notebook ``03_training``) and `n2n_lib.inference` (notebook ``05_results``); the reasons for
each choice are measured in ``benchmarks/`` (see benchmarks/RESULTS.md). ``pick_device("auto")`` prefers CUDA, then
Apple's MPS, then the CPU. bf16 is used where the hardware computes it natively — CUDA GPUs and CPUs with AVX512-BF16
or AMX — because elsewhere it is emulated and slower than fp32.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from n2n_lib.errors import InputError


def pick_device(name: str = "auto") -> torch.device:
    """ "auto" → cuda if available, then mps, then cpu; anything else is passed to torch.device."""
    if name != "auto":
        try:
            device = torch.device(name)
        except RuntimeError as exc:
            raise InputError(f"device {name!r} is not a torch device; use 'auto', 'cpu' or 'cuda'.") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise InputError(f"device {name!r} was asked for but CUDA is not available; use 'auto' or 'cpu'.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def native_bf16_cpu() -> bool:
    """True if this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX), where bf16 autocast is fast.

    Without those instructions bf16 is emulated and slower than fp32, so `use_bf16` keeps fp32 there.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def use_bf16(precision: str, device: torch.device) -> bool:
    """Whether `precision` ("auto", "fp32" or "bf16") means bf16 autocast on `device`.

    "auto" picks bf16 on CUDA and on CPUs with native bf16: there it trains about 2× faster than fp32 for a validation
    PSNR within 0.05 dB (measured in benchmarks/RESULTS.md); elsewhere (MPS, older CPUs) it stays fp32.
    The environment variable ``N2N_LAB_PRECISION`` (fp32 or bf16) overrides "auto" everywhere — in notebooks, the CLI
    and tests — e.g. to check that results hold on a CPU without native bf16.
    """
    if precision == "auto":
        precision = os.environ.get("N2N_LAB_PRECISION", "auto")
        if precision not in ("auto", "fp32", "bf16"):
            raise InputError(f"N2N_LAB_PRECISION={precision!r} is invalid; unset it or use 'fp32' or 'bf16'.")
    if precision != "auto":
        return precision == "bf16"
    return device.type == "cuda" or (device.type == "cpu" and native_bf16_cpu())


def available_cpus() -> int:
    """CPU cores this process may use: its affinity mask, capped by a cgroup-v2 quota (containers, CI runners)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return n


def configure_cpu_threads() -> int:
    """Cap torch's compute threads at `available_cpus` unless OMP_NUM_THREADS says otherwise; returns the count.

    torch counts the machine's cores, not the ones a container grants, and more threads than cores makes every
    convolution wait on the others.
    """
    if "OMP_NUM_THREADS" not in os.environ:
        cpus = available_cpus()
        if torch.get_num_threads() > cpus:
            torch.set_num_threads(cpus)
    return torch.get_num_threads()
