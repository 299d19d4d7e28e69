"""Training throughput, side by side: n2n_lib's own training step against a typical course implementation.

(a) n2n_lib: `n2n_lib.train.Trainer.step`, the exact step `fit` runs — the dataset lives on the device as uint8, each
    batch is indexed, converted, noised, flipped and swapped there as whole-batch tensor operations; channels_last,
    bf16 autocast where the hardware has it (`use_bf16`), fused Adam and cuDNN autotuning on CUDA.
(b) baseline: the way a typical course notebook is written — a `Dataset` whose ``__getitem__`` returns one sample with
    per-sample random flips, two fresh Gaussian noise draws and a random swap, a `DataLoader` that collates them
    (``num_workers=0`` by default: with 2 cores, worker processes only compete with the convolutions; try --workers),
    each batch copied to the device, fp32, NCHW, plain Adam. Same U-Net, same batch size, same patches and noise.

Both run in one process, alternating (a, b, b, a, …) for several repeats after a warm-up; the table shows every
repeat, and the ratio is of the medians, so a load spike on a shared machine hits both. Taught nowhere in the
notebooks; the README's performance table quotes benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/train_throughput.py                 # small preset, 32×32, batch 64, this machine
    .venv/bin/python benchmarks/train_throughput.py --quick --json  # < 1 minute on 2 CPU cores; one JSON object
    .venv/bin/python benchmarks/train_throughput.py --preset paper --batch-size 512 --device cuda
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from common import environment, finish, median, prepared_pairs, sync
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from n2n_lib.hardware import use_bf16
from n2n_lib.model import UNet, UNetConfig
from n2n_lib.train import TrainConfig, Trainer

SIGMA = 25  # Gaussian noise std in 0-255 units, the report's setting
FULL = {"n_train": 6250, "steps": 20, "repeats": 7, "warmup": 5}  # defaults without --quick


class NoisyPairDataset(Dataset):
    """The baseline's data path: one clean uint8 patch in, one (noisy source, noisy target) float pair out."""

    def __init__(self, clean: Tensor, sigma: float = SIGMA):
        self.clean = clean  # uint8 (N, 3, H, W) on the CPU
        self.sigma = sigma / 255

    def __len__(self) -> int:
        return len(self.clean)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        x = self.clean[i].float() / 255  # (3, H, W) in [0, 1]
        if torch.rand(()) < 0.5:
            x = x.flip(-1)
        if torch.rand(()) < 0.5:
            x = x.flip(-2)
        a = x + self.sigma * torch.randn_like(x)  # two independent noisy copies
        b = x + self.sigma * torch.randn_like(x)
        if torch.rand(()) < 0.5:
            a, b = b, a
        return a, b


class Baseline:
    """A typical course training loop: DataLoader batches → device → fp32 NCHW forward → MSE → Adam."""

    def __init__(self, clean: Tensor, model_config: UNetConfig, batch_size: int, device: torch.device, workers: int):
        self.device = device
        self.model = UNet(model_config).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        gen = torch.Generator().manual_seed(0)
        loader = DataLoader(
            NoisyPairDataset(clean),
            batch_size=batch_size,
            shuffle=True,
            drop_last=True,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=device.type == "cuda",
            generator=gen,
        )
        self.batches = itertools.chain.from_iterable(itertools.repeat(loader))  # epoch after epoch

    def step(self) -> Tensor:
        source, target = next(self.batches)
        source, target = source.to(self.device), target.to(self.device)
        loss = F.mse_loss(self.model(source), target)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.detach()


def library_steps(trainer: Trainer) -> Iterator[Tensor]:
    """Batch indices for `trainer`, epoch after epoch, exactly as `fit` draws them."""
    while True:
        yield from trainer.epoch_order()


def timed(step, n: int, device: torch.device) -> float:
    """Seconds for `n` calls of `step()`, including the device finishing its queued work."""
    if n == 0:
        return 0.0
    sync(device)
    t0 = time.perf_counter()
    for _ in range(n):
        loss = step()
    loss.item()  # waits for the last step on any device
    sync(device)
    return time.perf_counter() - t0


def run(args: argparse.Namespace) -> dict:
    torch.manual_seed(args.seed)
    data = prepared_pairs(args.n_train, 16, args.size, f"gaussian:{SIGMA}", args.seed)
    model_config = UNetConfig.preset(args.preset)
    per_epoch = args.n_train // args.batch_size
    budget = args.warmup + args.repeats * args.steps
    config = TrainConfig(
        epochs=math.ceil(budget / per_epoch) + 1,  # the learning rate stays up for the whole measurement
        batch_size=args.batch_size,
        noise=f"gaussian:{SIGMA}",  # fresh noise every batch, as the baseline draws it
        device=args.device,
        precision=args.precision,
        compile=args.compile,
        seed=args.seed,
    )
    trainer = Trainer(data, model_config, config)
    device = trainer.device
    baseline = Baseline(data.train_clean, model_config, args.batch_size, device, args.workers)
    order = library_steps(trainer)

    def lib_step() -> Tensor:
        return trainer.step(next(order), 0.0)

    timed(lib_step, args.warmup, device)
    timed(baseline.step, args.warmup, device)
    images = args.steps * args.batch_size
    lib, base = [], []
    for r in tqdm(range(args.repeats), desc="repeats", disable=args.json):
        pair = [(lib, lib_step), (base, baseline.step)]
        for out, step in pair if r % 2 == 0 else pair[::-1]:  # alternate who goes first
            out.append(images / timed(step, args.steps, device))
    lib_img_s, base_img_s = median(lib), median(base)
    return {
        **environment(device),
        "preset": args.preset,
        "image_size": args.size,
        "batch_size": args.batch_size,
        "lib_precision": "bf16" if use_bf16(args.precision, device) else "fp32",
        "lib_compile": args.compile,
        "baseline_workers": args.workers,
        "repeats": args.repeats,
        "steps_per_repeat": args.steps,
        "lib_img_s_repeats": [round(x, 1) for x in lib],
        "baseline_img_s_repeats": [round(x, 1) for x in base],
        "lib_img_s": round(lib_img_s, 1),
        "baseline_img_s": round(base_img_s, 1),
        "ratio": round(lib_img_s / base_img_s, 2),
    }


def print_table(r: dict) -> None:
    print(f"{r['hardware']} · torch {r['torch']}")
    print(
        f"preset {r['preset']} · {r['image_size']}×{r['image_size']} · batch {r['batch_size']} · "
        f"n2n_lib {r['lib_precision']}{' compiled' if r['lib_compile'] else ''} channels_last · "
        f"baseline fp32 NCHW, DataLoader num_workers={r['baseline_workers']}"
    )
    print(f"{'repeat':>8} {'n2n_lib img/s':>15} {'baseline img/s':>15}")
    for i, (a, b) in enumerate(zip(r["lib_img_s_repeats"], r["baseline_img_s_repeats"], strict=True), 1):
        print(f"{i:>8} {a:>15,.0f} {b:>15,.0f}")
    print(f"{'median':>8} {r['lib_img_s']:>15,.0f} {r['baseline_img_s']:>15,.0f}   ratio {r['ratio']:.2f}×")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", default="small", choices=["small", "paper"], help="U-Net preset (default small)")
    p.add_argument("--size", type=int, default=32, help="patch side in pixels (default 32, the report's)")
    p.add_argument("--batch-size", type=int, default=64, help="images per step, both sides (default 64)")
    p.add_argument("--n-train", type=int, help="training patches (default 6250, the report's; --quick 1024)")
    p.add_argument("--steps", type=int, help="timed steps per repeat and side (default 20; --quick 6)")
    p.add_argument("--repeats", type=int, help="alternating repeats; medians are reported (default 7; --quick 3)")
    p.add_argument("--warmup", type=int, help="untimed steps per side first (default 5; --quick 2)")
    p.add_argument("--workers", type=int, default=0, help="baseline DataLoader num_workers (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"], help="n2n_lib side only")
    p.add_argument("--compile", action="store_true", help="torch.compile the n2n_lib side (TrainConfig.compile)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="smaller defaults: < 1 minute on 2 cores")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    defaults = {"n_train": 1024, "steps": 6, "repeats": 3, "warmup": 2} if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if min(args.size, args.batch_size, args.steps, args.repeats) < 1 or args.warmup < 0 or args.workers < 0:
        p.error("sizes, steps and repeats must be positive; warmup and workers ≥ 0")
    if args.n_train < args.batch_size:
        p.error(f"--n-train {args.n_train} must be at least --batch-size {args.batch_size}")
    return args


if __name__ == "__main__":
    finish(run, print_table, parse_args())
