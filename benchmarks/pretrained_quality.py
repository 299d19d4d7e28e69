"""The shipped pretrained models beside non-local means and CBM3D, per data/eval image, at several noise levels.

For each σ every method sees the very same noisy images (`n2n_lib.evaluate.noisy_eval_set`: image i of data/eval,
sorted by name, gets Gaussian noise seeded with seed + i, unclipped) and is scored on whole images. The networks are
blind (one model for σ ∈ [0, 50], never told σ); non-local means and CBM3D are told the true σ. Unless --quick, it
writes the scores to checkpoints/pretrained_quality.json, which notebook 05 and checkpoints/README.md quote (notebook 05
also draws the models' training curves). CBM3D takes most of the time (about 17 s per whole image on 2 CPU cores);
--reuse-classical copies the classical methods' scores from that file when its seed and noise levels match, so
scoring a newly trained model takes seconds.

    .venv/bin/python benchmarks/pretrained_quality.py                      # n2n_gaussian (+ n2c_gaussian if there)
    .venv/bin/python benchmarks/pretrained_quality.py --reuse-classical    # re-score the models only
    .venv/bin/python benchmarks/pretrained_quality.py --quick --json       # σ 25, non-local means only: a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import statistics

from common import environment, finish

from n2n_lib.baselines import denoise_all
from n2n_lib.checkpoint import load_model
from n2n_lib.evaluate import eval_images, noisy_eval_set
from n2n_lib.hardware import configure_cpu_threads, pick_device
from n2n_lib.io import load_json, save_json
from n2n_lib.metrics import psnr
from n2n_lib.paths import checkpoints_dir

MODELS = ("n2n_gaussian", "n2c_gaussian")
HOUR_MARKS = (0.25, 0.5, 1, 1.5, 2)  # training time marks of the time-to-PSNR summary
CLASSICAL = {"nlm": "non-local means", "bm3d": "CBM3D"}  # denoise_all's keys and row labels
SCOREBOARD = "pretrained_quality.json"  # in checkpoints/, committed beside the models it scores


def _reusable(args: argparse.Namespace, sigmas: list[int]) -> dict:
    """The classical rows of the committed scoreboard, by σ, if --reuse-classical and its seed and σs match."""
    path = checkpoints_dir() / SCOREBOARD
    if not args.reuse_classical:
        return {}
    old = load_json(path, "the pretrained models' scoreboard") if path.is_file() else {}
    if old.get("seed") != args.seed or not all(str(s) in old.get("psnr", {}) for s in sigmas):
        print(f"--reuse-classical: {path.name} has another seed or other noise levels; scoring everything")
        return {}
    keep = ("noisy input", *CLASSICAL.values())
    return {str(s): {label: old["psnr"][str(s)][label] for label in keep} for s in sigmas}


def _training_summary(record: dict) -> dict:
    """Epochs, best epoch and validation PSNR, training hours, and the best validation PSNR by each hour mark."""
    history = record["history"]
    hours = list(itertools.accumulate(s / 3600 for s in history["seconds"]))  # cumulative, after each epoch
    by_hour = {
        f"{mark:g}": round(max(p for p, h in zip(history["val_psnr"], hours, strict=True) if h <= mark), 2)
        for mark in HOUR_MARKS
        if hours[0] <= mark <= hours[-1]
    }
    return {
        "epochs": len(history["epoch"]),
        "best_epoch": record["epoch"],
        "best_val_psnr": round(record["val_psnr"], 2),
        "train_hours": round(hours[-1], 2),
        "best_val_psnr_by_hour": by_hour,
    }


def run(args: argparse.Namespace) -> dict:
    configure_cpu_threads()
    models = {name: load_model(checkpoints_dir() / f"{name}.pt") for name in args.models}
    sigmas = [25] if args.quick else args.sigmas
    reused = _reusable(args, sigmas)
    methods = [] if reused else ["nlm"] if args.quick else list(CLASSICAL)
    per_sigma = {}
    for sigma in sigmas:
        scores: dict[str, dict[str, float]] = {}
        for image, clean, noisy in noisy_eval_set(eval_images(), f"gaussian:{sigma}", args.seed):
            results = denoise_all(noisy, sigma, methods, {name: model for name, (model, _) in models.items()})
            for label, (denoised, _) in results.items():
                scores.setdefault(label, {})[image] = round(psnr(denoised, clean).item(), 2)
        per_sigma[str(sigma)] = {
            **reused.get(str(sigma), {}),
            **{
                label: {"mean": round(statistics.fmean(images.values()), 2), "images": images}
                for label, images in scores.items()
            },
        }
    training = {name: _training_summary(record) for name, (_, record) in models.items()}
    result = {**environment(pick_device("cpu")), "seed": args.seed, "psnr": per_sigma, "training": training}
    if not args.quick:  # the scoreboard notebook 05 and checkpoints/README.md quote
        save_json(result, checkpoints_dir() / SCOREBOARD)
    return result


def print_table(result: dict) -> None:
    """The scores as Markdown tables (one per σ, images as columns), ready for checkpoints/README.md."""
    print(f"{result['hardware']} · PSNR in dB on whole data/eval images, seed {result['seed']}")
    for sigma, rows in result["psnr"].items():
        images = list(next(iter(rows.values()))["images"])
        print(f"\nσ = {sigma}\n\n| method | " + " | ".join(images) + " | mean |")
        print("| --- |" + " ---: |" * (len(images) + 1))
        for label, row in rows.items():
            print(f"| {label} | " + " | ".join(f"{row['images'][n]:.2f}" for n in images) + f" | {row['mean']:.2f} |")
    print()
    for name, t in result["training"].items():
        marks = ", ".join(f"{psnr_db} dB by {hour} h" for hour, psnr_db in t["best_val_psnr_by_hour"].items())
        print(
            f"{name}: {t['epochs']} epochs in {t['train_hours']} h, best validation PSNR {t['best_val_psnr']} dB "
            f"(epoch {t['best_epoch']}); {marks}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=None, help=f"checkpoints/NAME.pt to score (default: {MODELS})")
    p.add_argument("--sigmas", type=int, nargs="+", default=[15, 25, 50])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="σ 25 and non-local means only")
    p.add_argument(
        "--reuse-classical",
        action="store_true",
        help=f"take the classical methods' scores from checkpoints/{SCOREBOARD}",
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.models is None:
        args.models = [name for name in MODELS if (checkpoints_dir() / f"{name}.pt").is_file()]
    finish(run, print_table, args)


if __name__ == "__main__":
    main()
