"""PSNR on data/eval against wall-clock training time, for the quick profile, per training precision.

Trains the small U-Net with `n2n_lib.train.fit` on the embedded photos' noisy pairs (Gaussian σ=25, Noise2Noise, Adam
1e-3, batch 32, 4 epochs of 80 batches: notebook 03's quick profile) for each --precisions entry and each of several
seeds, precisions alternating. After every epoch it denoises the data/eval photos (never seen in training) with the
best checkpoint so far, at fp32 so that only the training precision differs, and records their mean PSNR against the
cumulative training seconds (evaluation time is not counted). The table shows the seed-averaged curves; the summary
gives the time each precision needs to reach a common target and, paired by seed, the change of the final PSNR against
fp32 with its standard error: one seed's runs differ by a tenth of a dB just from rounding, so one pair cannot tell a
0.05 dB cost.

    .venv/bin/python benchmarks/time_to_psnr.py                  # auto vs fp32, 5 seeds
    .venv/bin/python benchmarks/time_to_psnr.py --quick --json   # tiny smoke run
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
from pathlib import Path

from common import environment, eval_psnr, finish, prepared_pairs
from tqdm.auto import tqdm

from n2n_lib.checkpoint import load_model
from n2n_lib.hardware import pick_device, use_bf16
from n2n_lib.model import UNetConfig
from n2n_lib.profiles import profile_for
from n2n_lib.train import TrainConfig, fit

NOISE = "gaussian:25"
NOTEBOOK_03 = profile_for("03", "quick")  # the budget this benchmark times: notebook 03's quick profile
QUICK_PROFILE = {
    "epochs": NOTEBOOK_03.epochs,
    "max_batches": NOTEBOOK_03.max_batches,
    "n_train": 6250,
    "n_val": 500,
    "seeds": "0,1,2,3,4",
}
SMOKE = {"epochs": 2, "max_batches": 4, "n_train": 256, "n_val": 32, "seeds": "0"}


def train_curve(data, args: argparse.Namespace, precision: str, seed: int, folder: Path) -> dict[str, list[float]]:
    """One fit; per epoch: cumulative training seconds, validation PSNR and data/eval PSNR (fp32 inference), in dB."""
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        max_batches=args.max_batches,
        device=args.device,
        precision=precision,
        seed=seed,
    )
    path = folder / f"{precision}-{seed}.pt"
    curve: dict[str, list[float]] = {"seconds": [], "val_psnr": [], "eval_psnr": []}

    def on_epoch(row: dict) -> None:
        model, _ = load_model(path)  # the best checkpoint so far, written by fit just before this call
        psnrs = eval_psnr(model, NOISE, precision="fp32")
        curve["seconds"].append((curve["seconds"][-1] if curve["seconds"] else 0.0) + row["seconds"])
        curve["val_psnr"].append(row["val_psnr"])
        curve["eval_psnr"].append(sum(psnrs.values()) / len(psnrs))

    fit(data, UNetConfig.preset(NOTEBOOK_03.preset), config, checkpoint=path, progress=False, on_epoch=on_epoch)
    return curve


def mean_and_se(values: list[float]) -> tuple[float, float | None]:
    """Mean and its standard error (None for a single value)."""
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None
    return statistics.fmean(values), se


def run(args: argparse.Namespace) -> dict:
    device = pick_device(args.device)
    data = prepared_pairs(args.n_train, args.n_val, 32, NOISE, 0)  # one dataset; the seeds vary the training
    computes_in = {p: "bf16" if use_bf16(p, device) else "fp32" for p in args.precisions}
    # "auto" is fp32 or bf16 on any one machine: train it once, under its own name, if the other is not asked for.
    precisions = [p for p in args.precisions if p != "auto" or computes_in["auto"] not in args.precisions]
    curves: dict[str, list[dict]] = {p: [] for p in precisions}
    jobs = [(seed, p) for seed in args.seeds for p in precisions]
    with tempfile.TemporaryDirectory(prefix="n2n-ttp-") as tmp:
        for seed, precision in tqdm(jobs, desc="training runs", disable=args.json):
            curves[precision].append(train_curve(data, args, precision, seed, Path(tmp)))

    runs = {}
    for p, cs in curves.items():
        runs[p] = {"computes_in": computes_in[p]}
        for key in ("seconds", "val_psnr", "eval_psnr"):  # averaged over seeds, epoch by epoch
            runs[p][key] = [round(statistics.fmean(c[key][i] for c in cs), 3) for i in range(args.epochs)]
        runs[p]["final_eval_psnr_per_seed"] = [round(c["eval_psnr"][-1], 3) for c in cs]
    target = args.target if args.target is not None else min(max(r["eval_psnr"]) for r in runs.values()) - 0.1
    for p, r in runs.items():
        reached = [s for s, q in zip(r["seconds"], r["eval_psnr"], strict=True) if q >= target]
        r["seconds_to_target"] = reached[0] if reached else None
        r["final_eval_psnr"] = r["eval_psnr"][-1]
        if "fp32" in curves:  # paired by seed: same initial weights, batch order and noise
            for key, name in (("eval_psnr", "psnr_change_db"), ("val_psnr", "val_psnr_change_db")):
                diffs = [a[key][-1] - b[key][-1] for a, b in zip(curves[p], curves["fp32"], strict=True)]
                mean, se = mean_and_se(diffs)
                r[name], r[name.replace("_db", "_se_db")] = round(mean, 3), None if se is None else round(se, 3)
    return {
        **environment(device),
        "preset": NOTEBOOK_03.preset,
        "n_train": args.n_train,
        "epochs": args.epochs,
        "max_batches": args.max_batches,
        "batch_size": args.batch_size,
        "noise": NOISE,
        "seeds": args.seeds,
        "target_psnr": round(target, 2),
        "runs": runs,
    }


def print_table(r: dict) -> None:
    print(f"{r['hardware']} · torch {r['torch']}")
    print(
        f"{r['preset']} preset · {r['n_train']} patches · {r['epochs']} epochs of {r['max_batches']} batches of "
        f"{r['batch_size']} · {r['noise']} · means over seeds {r['seeds']}"
    )
    print(f"{'precision':>14} {'epoch':>6} {'train s':>8} {'val PSNR':>9} {'data/eval PSNR':>15}")
    for name, run_ in r["runs"].items():
        label = f"{name} ({run_['computes_in']})" if name == "auto" else name
        for i, (s, v, e) in enumerate(zip(run_["seconds"], run_["val_psnr"], run_["eval_psnr"], strict=True), 1):
            print(f"{label if i == 1 else '':>14} {i:>6} {s:>8.1f} {v:>9.2f} {e:>15.2f}")
    print(f"\ntime to {r['target_psnr']:.2f} dB on data/eval, and final PSNR change against fp32 (paired by seed):")
    for name, run_ in r["runs"].items():
        t = run_["seconds_to_target"]
        line = f"  {name:>6}: {'not reached' if t is None else f'{t:.1f} s'}"
        if "psnr_change_db" in run_ and name != "fp32":
            se = run_["psnr_change_se_db"]
            line += f", data/eval {run_['psnr_change_db']:+.3f} dB" + (f" ± {se:.3f}" if se is not None else "")
            se = run_["val_psnr_change_se_db"]
            line += f", validation {run_['val_psnr_change_db']:+.3f} dB" + (f" ± {se:.3f}" if se is not None else "")
        print(line)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--precisions", default="auto,fp32", help="comma-separated TrainConfig.precision values")
    p.add_argument("--seeds", help="comma-separated training seeds (default 0,1,2,3,4; --quick 0)")
    p.add_argument("--epochs", type=int, help="training epochs per run (default 4; --quick 2)")
    p.add_argument("--max-batches", type=int, help="batches per epoch (default 80; --quick 4)")
    p.add_argument("--n-train", type=int, help="training patches (default 6250; --quick 256)")
    p.add_argument("--n-val", type=int, help="validation patches (default 500; --quick 32)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--target", type=float, default=None, help="PSNR target in dB (default: 0.1 below the worst best)")
    p.add_argument("--device", default="auto")
    p.add_argument("--quick", action="store_true", help="a smoke run: 2 epochs of 4 batches, one seed")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = p.parse_args(argv)
    for name, value in (SMOKE if args.quick else QUICK_PROFILE).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.precisions = [x.strip() for x in args.precisions.split(",") if x.strip()]
    bad = [x for x in args.precisions if x not in ("auto", "fp32", "bf16")]
    if bad or not args.precisions:
        p.error(f"--precisions takes auto, fp32 and/or bf16, got {args.precisions}")
    try:
        args.seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    except ValueError:
        p.error(f"--seeds takes whole numbers separated by commas, got {args.seeds!r}")
    if not args.seeds or min(args.epochs, args.max_batches, args.n_train, args.n_val, args.batch_size) < 1:
        p.error("--seeds needs one seed; --epochs, --max-batches, --n-train, --n-val and --batch-size must be positive")
    return args


if __name__ == "__main__":
    finish(run, print_table, parse_args())
