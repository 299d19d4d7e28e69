"""The shipped twins on crops of growing size: where the Noise2Clean model's whole-photo fault begins, and where inside.

Scores checkpoints/n2n_gaussian.pt and n2c_gaussian.pt (fp32, the noise of `noisy_eval_set`) on centre crops of every
data/eval photo of each --sizes side and on the whole photos, then, for one crop (--probe), prints the largest
activation of each decoder stage of both models: a stage whose activations grow far beyond the others' is where a
model's output leaves [0, 1]. checkpoints/README.md ("The twins") quotes its numbers.

    .venv/bin/python benchmarks/twin_crops.py                       # σ = 50, crops of 64, 128 and 256, kodim23 at 128
    .venv/bin/python benchmarks/twin_crops.py --sigma 15 --probe monarch:256 --json
"""

from __future__ import annotations

import argparse

import torch
from common import finish
from tqdm.auto import tqdm

from n2n_lib.checkpoint import load_model
from n2n_lib.errors import InputError
from n2n_lib.evaluate import eval_images, evaluate_set, noisy_eval_set
from n2n_lib.paths import checkpoints_dir

TWINS = ("n2n_gaussian", "n2c_gaussian")


def decoder_peaks(model: torch.nn.Module, noisy: torch.Tensor) -> dict[str, float]:
    """Largest |activation| after each decoder module of `model` for one noisy (3, h, w) image."""
    peaks: dict[str, float] = {}

    def record(name: str):
        return lambda module, inputs, out: peaks.__setitem__(name, out.abs().max().item())

    hooks = [stage.register_forward_hook(record(name)) for name, stage in model.decoder.named_children()]
    try:
        with torch.no_grad():
            out = model(noisy[None])
    finally:
        for hook in hooks:
            hook.remove()
    peaks["output"] = out.abs().max().item()
    return peaks


def run(args: argparse.Namespace) -> dict:
    images = eval_images()
    name, _, size = args.probe.partition(":")
    if name not in images or not size.isdigit():
        raise InputError(f"--probe {args.probe!r} must be IMAGE:SIZE with IMAGE one of {', '.join(images)}.")
    models = {twin: load_model(checkpoints_dir() / f"{twin}.pt")[0].eval() for twin in TWINS}
    noise = f"gaussian:{args.sigma:g}"
    sides = [*args.sizes, None]  # None: whole photos
    psnr = {}
    for side in tqdm(sides, desc="crop sizes", disable=args.json):
        eval_set = noisy_eval_set(images, noise, args.seed, side)
        label = "whole" if side is None else str(side)
        psnr[label] = {
            twin: evaluate_set(model, eval_set, precision="fp32", with_ssim=False)["images"]
            for twin, model in models.items()
        }
    item = next(i for i in noisy_eval_set(images, noise, args.seed, int(size)) if i.name == name)
    peaks = {twin: decoder_peaks(model, item.noisy) for twin, model in models.items()}
    return {"noise": noise, "seed": args.seed, "psnr": psnr, "probe": args.probe, "peaks": peaks}


def print_table(r: dict) -> None:
    print(f"PSNR in dB, {r['noise']}, seed {r['seed']}, fp32: N2N / N2C per image and crop side")
    for side, by_twin in r["psnr"].items():
        cells = [
            f"{image} {scores['psnr']:.2f}/{by_twin['n2c_gaussian'][image]['psnr']:.2f}"
            for image, scores in by_twin["n2n_gaussian"].items()
        ]
        print(f"{side:>6}  " + "  ".join(cells))
    print(f"largest |activation| per decoder stage, {r['probe']}: N2N / N2C")
    for stage, value in r["peaks"]["n2n_gaussian"].items():
        print(f"  {stage:<12}{value:9.3g} / {r['peaks']['n2c_gaussian'][stage]:.3g}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sigma", type=float, default=50.0)
    p.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256], help="centre-crop sides, in pixels")
    p.add_argument("--probe", default="kodim23:128", help="IMAGE:SIZE whose decoder activations are printed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="only 64-px crops (a smoke test)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.quick:
        args.sizes, args.probe = [64], "kodim23:64"
    finish(run, print_table, args)


if __name__ == "__main__":
    main()
