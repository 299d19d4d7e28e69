"""Helpers the three benchmarks share: what machine this is, a prepared dataset, medians, and PSNR on data/eval.

Not a benchmark itself; see README.md in this folder. The benchmarks import it as a sibling module (they run as
scripts, ``python benchmarks/NAME.py``, so this folder is on ``sys.path``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from n2n_lib.errors import InputError
from n2n_lib.evaluate import eval_images, evaluate_set, noisy_eval_set
from n2n_lib.hardware import native_bf16_cpu
from n2n_lib.pairs import PairData, load_pairs, prepare


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(device: torch.device) -> str:
    """One line naming the hardware: the GPU for CUDA, else the CPU with its thread count and bf16 support."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    bf16 = "native bf16" if native_bf16_cpu() else "no native bf16"
    return f"{cpu_name()}, {torch.get_num_threads()} threads, {bf16}"


def environment(device: torch.device) -> dict:
    """The facts RESULTS.md records next to each number."""
    return {"device": device.type, "hardware": describe(device), "torch": torch.__version__}


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so a wall-clock reading covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median(values: list[float]) -> float:
    return statistics.median(values)


def prepared_pairs(n_train: int, n_val: int, patch: int, noise: str, seed: int) -> PairData:
    """Embedded-photo noisy pairs made with `n2n_lib.pairs.prepare` in a temporary folder, as a student would."""
    with tempfile.TemporaryDirectory(prefix="n2n-bench-") as tmp:
        return load_pairs(
            prepare("embedded", Path(tmp), noise=noise, n_train=n_train, n_val=n_val, patch=patch, seed=seed)
        )


def eval_psnr(model: nn.Module, noise: str, precision: str = "fp32", seed: int = 0) -> dict[str, float]:
    """PSNR in dB (unrounded) of `denoise(model, ·, precision=precision)` on each data/eval photo at native size.

    The evaluation protocol of `n2n_lib.evaluate` (photo i in name order gets `noise` seeded with seed + i), so the
    numbers are those of ``python -m n2n_lib evaluate`` before rounding.
    """
    report = evaluate_set(model, noisy_eval_set(eval_images(), noise, seed), precision, with_ssim=False, rounded=False)
    return {name: scores["psnr"] for name, scores in report["images"].items()}


def print_json(record: dict) -> None:
    print(json.dumps(record, indent=2))


def finish(run: Callable[[argparse.Namespace], dict], print_table: Callable[[dict], None], args: argparse.Namespace):
    """Run a benchmark and print its table, or with --json one JSON object; a bad input is one line and exit 2."""
    try:
        result = run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print_json(result) if args.json else print_table(result)
