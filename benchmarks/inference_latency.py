"""Denoising latency of one image (the slider's job) and the PSNR change of the reduced-precision path.

Times `n2n_lib.inference.denoise` on one noisy 256×256 crop of a data/eval photo, for each precision it offers:
"fp32" (weights and activations in float32, NCHW: the exact reference) and "bf16" (bfloat16 weights and activations,
channels_last), and marks the one that "auto" — the default, used by the slider and the CLI — picks on this machine.
Each latency is the median of --repeats calls after a warm-up (the first call converts and caches the model copy).
Then it denoises every data/eval photo at native size with each precision and reports the mean PSNR and its change
against fp32: the price of the faster path, in dB.

    .venv/bin/python benchmarks/inference_latency.py                      # checkpoints/n2n_gaussian.pt, CPU
    .venv/bin/python benchmarks/inference_latency.py --checkpoint my.pt --json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from common import environment, eval_psnr, finish, median, sync
from tqdm.auto import tqdm

from n2n_lib.checkpoint import load_model
from n2n_lib.data import to_float
from n2n_lib.errors import InputError
from n2n_lib.evaluate import center_crop, eval_images
from n2n_lib.hardware import configure_cpu_threads, pick_device, use_bf16
from n2n_lib.inference import denoise
from n2n_lib.noise import add_noise
from n2n_lib.paths import checkpoints_dir, project_root

NOISE = "gaussian:25"


def test_image(size: int, seed: int) -> torch.Tensor:
    """A noisy size×size crop from the middle of kodim23, float (1, 3, size, size)."""
    image = eval_images()["kodim23"]  # uint8 (3, 512, 768)
    _, h, w = image.shape
    if size > min(h, w):
        raise InputError(f"--size {size} is larger than the test photo ({h}×{w}); use at most {min(h, w)}.")
    clean = to_float(center_crop(image, size)[None])  # (1, 3, size, size)
    return add_noise(clean, NOISE, generator=torch.Generator().manual_seed(seed))


def shown_path(path: str) -> str:
    """`path` relative to the project when it lies inside it (so printed results name no home folder)."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(project_root())) if resolved.is_relative_to(project_root()) else path


def latency_ms(model: torch.nn.Module, x: torch.Tensor, precision: str, repeats: int, device: torch.device) -> float:
    """Median wall-clock milliseconds of `denoise(model, x, precision=precision)`, after 3 warm-up calls."""
    times = []
    for i in range(repeats + 3):
        sync(device)
        t0 = time.perf_counter()
        denoise(model, x, precision=precision)
        sync(device)
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1000)
    return median(times)


def run(args: argparse.Namespace) -> dict:
    device = pick_device(args.device)
    if device.type == "cpu":
        configure_cpu_threads()
    model, ckpt = load_model(args.checkpoint, device=str(device))
    x = test_image(args.size, args.seed).to(device)
    auto = "bf16" if use_bf16("auto", device) else "fp32"
    paths = {}
    for precision in tqdm(("fp32", "bf16"), desc="precisions", disable=args.json):
        psnrs = eval_psnr(model, NOISE, precision=precision, seed=args.seed)
        paths[precision] = {
            "latency_ms": round(latency_ms(model, x, precision, args.repeats, device), 2),
            "eval_psnr": round(sum(psnrs.values()) / len(psnrs), 4),
        }
    for p in paths.values():
        p["psnr_change_db"] = round(p["eval_psnr"] - paths["fp32"]["eval_psnr"], 4)
    return {
        **environment(device),
        "checkpoint": shown_path(args.checkpoint),
        "preset": ckpt["model_config"].get("name", "?"),
        "image_size": args.size,
        "repeats": args.repeats,
        "auto_precision": auto,
        "paths": paths,
        "latency_ms": paths[auto]["latency_ms"],
        "psnr_change_db": paths[auto]["psnr_change_db"],
    }


def print_table(r: dict) -> None:
    print(f"{r['hardware']} · torch {r['torch']}")
    print(f"{r['preset']} model from {r['checkpoint']} · {r['image_size']}×{r['image_size']} · {NOISE}")
    print(f"{'precision':>12} {'latency ms':>11} {'data/eval PSNR dB':>18} {'change dB':>10}")
    for name, p in r["paths"].items():
        label = f"{name}{' (auto)' if name == r['auto_precision'] else ''}"
        print(f"{label:>12} {p['latency_ms']:>11.1f} {p['eval_psnr']:>18.2f} {p['psnr_change_db']:>+10.3f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--checkpoint",
        default=str(checkpoints_dir() / "n2n_gaussian.pt"),
        help="trained model (default checkpoints/n2n_gaussian.pt, the slider's)",
    )
    p.add_argument("--size", type=int, default=256, help="side of the timed image in pixels (default 256)")
    p.add_argument("--repeats", type=int, help="timed calls per precision, the median is kept (default 15; --quick 5)")
    p.add_argument("--device", default="cpu", help="cpu (default: the slider runs there), cuda or auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="fewer repeats")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    if args.repeats is None:
        args.repeats = 5 if args.quick else 15
    if args.size < 1 or args.repeats < 1:
        p.error("--size and --repeats must be positive")
    return args


if __name__ == "__main__":
    finish(run, print_table, parse_args())
