"""The shipped models of the other noise types on whole photos: PSNR on data/eval at three levels each, and training.

Scores checkpoints/n2n_poisson.pt, n2n_bernoulli.pt, n2n_impulse.pt and n2n_text.pt (each blind over its noise's
range) on the five whole `data/eval` photos, with the noise of `noisy_eval_set` (image i seeded `seed + i`, as
`python -m n2n_lib evaluate --noise SPEC` does), at a low, the gallery's (notebook 05) and a high level; and summarises
each training from its checkpoint (time, best validation PSNR and its epoch). checkpoints/README.md quotes the table.

    .venv/bin/python benchmarks/noise_type_quality.py
    .venv/bin/python benchmarks/noise_type_quality.py --kinds text --json
"""

from __future__ import annotations

import argparse

from common import finish
from tqdm.auto import tqdm

from n2n_lib.checkpoint import load_model
from n2n_lib.errors import InputError
from n2n_lib.evaluate import eval_images, evaluate_set, noisy_eval_set
from n2n_lib.lab.pretrained import shipped_checkpoint
from n2n_lib.losses import default_loss

# low, the gallery's default (notebook 05's NOISE_TYPES), high: all inside each model's training range
LEVELS = {
    "poisson": ("poisson:10", "poisson:30", "poisson:50"),
    "bernoulli": ("bernoulli:0.2", "bernoulli:0.5", "bernoulli:0.8"),
    "impulse": ("impulse:0.1", "impulse:0.3", "impulse:0.6"),
    "text": ("text:0.1", "text:0.25", "text:0.4"),
}


def run(args: argparse.Namespace) -> dict:
    unknown = [kind for kind in args.kinds if kind not in LEVELS]
    if unknown:
        raise InputError(f"--kinds {' '.join(unknown)}: use some of {', '.join(LEVELS)}.")
    images = eval_images()
    out = {"seed": args.seed, "kinds": {}}
    for kind in tqdm(args.kinds, desc="noise types", disable=args.json):
        path = shipped_checkpoint(kind)
        model, record = load_model(path)
        history = record["history"]
        levels = LEVELS[kind][1:2] if args.quick else LEVELS[kind]
        scores = {}
        for spec in levels:
            result = evaluate_set(model, noisy_eval_set(images, spec, args.seed), with_ssim=False)
            scores[spec] = {"noisy": result["mean_noisy_psnr"], "denoised": result["mean_psnr"]}
        out["kinds"][kind] = {
            "checkpoint": f"checkpoints/{path.name}",
            "noise": record["train_config"]["noise"],
            "loss": default_loss(record["train_config"]["noise"]),
            "hours": round(sum(history["seconds"]) / 3600, 2),
            "best_val_psnr": round(record["val_psnr"], 2),
            "best_epoch": record["epoch"],
            "epochs": len(history["val_psnr"]),
            "psnr": scores,
        }
    return out


def print_table(r: dict) -> None:
    print(f"mean PSNR on the whole data/eval photos, noise seeded per image from seed {r['seed']}: noisy → denoised")
    print("| model | trained on | loss | training | best validation (epoch) | low | gallery level | high |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for k in r["kinds"].values():
        cells = [f"{spec}: {s['noisy']:.2f} → **{s['denoised']:.2f}** dB" for spec, s in k["psnr"].items()]
        print(
            f"| `{k['checkpoint'].split('/')[-1]}` | {k['noise']} | {k['loss']} | {k['hours']:.2f} h | "
            f"{k['best_val_psnr']:.2f} dB ({k['best_epoch']} of {k['epochs']}) | " + " | ".join(cells) + " |"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kinds", nargs="+", default=list(LEVELS), help=f"some of {', '.join(LEVELS)}")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="the gallery's level only")
    p.add_argument("--json", action="store_true")
    finish(run, print_table, p.parse_args())


if __name__ == "__main__":
    main()
