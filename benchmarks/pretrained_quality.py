"""The shipped pretrained models beside non-local means and CBM3D, per data/eval image, at several noise levels.

For each σ every method sees the very same noisy images (`n2n_lib.baselines.noisy_eval_set`: image i of data/eval,
sorted by name, gets Gaussian noise seeded with seed + i, unclipped) and is scored on whole images. The networks are
blind (one model for σ ∈ [0, 50], never told σ); non-local means and CBM3D are told the true σ. Unless --quick, it
writes the scores to checkpoints/pretrained_quality.json (notebook 05 and checkpoints/README.md quote it) and draws
the models' training curves (loss and validation PSNR per epoch) into figures/fig_pretrained_training.

    .venv/bin/python benchmarks/pretrained_quality.py                      # n2n_gaussian (+ n2c_gaussian if there)
    .venv/bin/python benchmarks/pretrained_quality.py --quick --json       # σ 25, non-local means only: a smoke run
"""

from __future__ import annotations

import argparse
import statistics

from common import environment, finish

from n2n_lib.baselines import denoise_all, noisy_eval_set
from n2n_lib.checkpoint import load_model
from n2n_lib.data import eval_images
from n2n_lib.hardware import configure_cpu_threads, pick_device
from n2n_lib.io import save_json
from n2n_lib.metrics import psnr
from n2n_lib.paths import checkpoints_dir
from n2n_lib.plotting import plot_history, save_figure

MODELS = ("n2n_gaussian", "n2c_gaussian")
FIGURE = "fig_pretrained_training"
SCOREBOARD = "pretrained_quality.json"  # in checkpoints/, committed beside the models it scores


def run(args: argparse.Namespace) -> dict:
    configure_cpu_threads()
    models = {name: load_model(checkpoints_dir() / f"{name}.pt") for name in args.models}
    methods = ["nlm"] if args.quick else ["nlm", "bm3d"]
    sigmas = [25] if args.quick else args.sigmas
    per_sigma = {}
    for sigma in sigmas:
        scores: dict[str, dict[str, float]] = {}
        for image, clean, noisy in noisy_eval_set(eval_images(), f"gaussian:{sigma}", args.seed):
            results = denoise_all(noisy, sigma, methods, {name: model for name, (model, _) in models.items()})
            for label, (denoised, _) in results.items():
                scores.setdefault(label, {})[image] = round(psnr(denoised, clean).item(), 2)
        per_sigma[str(sigma)] = {
            label: {"mean": round(statistics.fmean(images.values()), 2), "images": images}
            for label, images in scores.items()
        }
    training = {
        name: {
            "epochs": record["epoch"],
            "best_val_psnr": round(record["val_psnr"], 2),
            "train_hours": round(sum(record["history"]["seconds"]) / 3600, 2),
        }
        for name, (_, record) in models.items()
    }
    result = {**environment(pick_device("cpu")), "seed": args.seed, "psnr": per_sigma, "training": training}
    if not args.quick:  # the scoreboard notebook 05 and checkpoints/README.md quote, and the training curves
        save_json(result, checkpoints_dir() / SCOREBOARD)
        histories = {name: record["history"] for name, (_, record) in models.items()}
        save_figure(plot_history(histories, title="shipped models: training on data/photos crops"), FIGURE)
    return result


def print_table(result: dict) -> None:
    print(f"{result['hardware']} · PSNR in dB on whole data/eval images, seed {result['seed']}")
    for sigma, rows in result["psnr"].items():
        images = list(next(iter(rows.values()))["images"])
        print(f"\nσ = {sigma}")
        print(f"{'method':<18}" + "".join(f"{name:>9}" for name in images) + f"{'mean':>9}")
        for label, row in rows.items():
            print(f"{label:<18}" + "".join(f"{row['images'][n]:9.2f}" for n in images) + f"{row['mean']:9.2f}")
    for name, t in result["training"].items():
        print(f"{name}: best validation PSNR {t['best_val_psnr']} dB, epoch {t['epochs']}, {t['train_hours']} h")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=None, help=f"checkpoints/NAME.pt to score (default: {MODELS})")
    p.add_argument("--sigmas", type=int, nargs="+", default=[15, 25, 50])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="σ 25 and non-local means only")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.models is None:
        args.models = [name for name in MODELS if (checkpoints_dir() / f"{name}.pt").is_file()]
    finish(run, print_table, args)


if __name__ == "__main__":
    main()
