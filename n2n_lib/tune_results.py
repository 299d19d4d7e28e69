"""The search's results: the report's three claims checked, and the search figures (Table 1 on disk is
`n2n_lib.results.TuningTable`).

Taught in notebook ``04_hyperparameter_tuning``, after `n2n_lib.tune.run_search` has produced a `SearchResult`.
`compare_with_report` decides each of the lab report's conclusions from our completed trials with explicit rules (the
constants below), so a verdict changes when the numbers do; `plot_search` and `plot_trial_curves` draw the trials.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from n2n_lib.tune import LR_RANGE, MOMENTUM_RANGE, SearchResult

REPORT_CLAIMS = (
    "ReLU is no better than LeakyReLU",
    "batch norm makes training about 1.5× slower and slightly worse",
    "a high learning rate with low momentum does as well as a low learning rate with high momentum",
)
TOLERANCE = 0.05  # best losses within 5 % of each other (about 0.2 dB) count as equally good
MIN_TRIALS = 2  # completed trials needed on each side of a comparison
SLOWER = 1.25  # a time-per-epoch ratio at least this large counts as "slower" (halfway from 1× to the report's 1.5×)
LR_SPLIT = (LR_RANGE[0] * LR_RANGE[1]) ** 0.5  # "high" learning rates: the upper half of the log range (≥ 0.0032)
MOMENTUM_SPLIT = sum(MOMENTUM_RANGE) / 2  # "high" momentum: ≥ 0.5


def _best(group: pd.DataFrame) -> float:
    return float(group["loss"].min())


def _loss_comparison(a: pd.DataFrame, b: pd.DataFrame, name_a: str, name_b: str) -> tuple[float, str]:
    """(best loss of a / best loss of b, a sentence with both numbers)."""
    ratio = _best(a) / _best(b)
    how = f"{abs(ratio - 1) * 100:.1f} % {'higher' if ratio > 1 else 'lower'}"
    text = f"best loss {name_a} {_best(a):.4f} (n={len(a)}) vs {name_b} {_best(b):.4f} (n={len(b)}): {how} for {name_a}"
    return ratio, text


def compare_with_report(trials: pd.DataFrame) -> pd.DataFrame:
    """Check the report's three conclusions (`REPORT_CLAIMS`) against our trials; one row per claim.

    trials: `SearchResult.trials` (needs status, loss, activation, BN, learning rate, momentum, time (s), epochs).
    Failed trials are left out; trials stopped early by ASHA count with the best loss they reached. Columns: claim,
    ours (our numbers, rounded), verdict ("confirms", "partly confirms", "does not confirm" or "inconclusive at this
    budget" when a side has fewer than MIN_TRIALS completed trials). Best losses within TOLERANCE count as equal.
    """
    done = trials[trials["status"] != "failed"]
    rows = []

    relu, leaky = done[done["activation"] == "ReLU"], done[done["activation"] == "LeakyReLU"]
    if min(len(relu), len(leaky)) < MIN_TRIALS:
        rows.append(("inconclusive at this budget", f"completed trials: {len(relu)} ReLU, {len(leaky)} LeakyReLU"))
    else:
        ratio, text = _loss_comparison(relu, leaky, "ReLU", "LeakyReLU")
        rows.append(("confirms" if ratio >= 1 - TOLERANCE else "does not confirm", text))

    on, off = done[done["BN"] == "on"], done[done["BN"] == "off"]
    if min(len(on), len(off)) < MIN_TRIALS:
        rows.append(("inconclusive at this budget", f"completed trials: {len(on)} with BN, {len(off)} without"))
    else:
        per_epoch = done["time (s)"] / done["epochs"]
        slowdown = per_epoch[on.index].mean() / per_epoch[off.index].mean()
        ratio, text = _loss_comparison(on, off, "BN on", "BN off")
        slower, worse = slowdown >= SLOWER, ratio > 1
        verdict = "confirms" if slower and worse else "partly confirms" if slower or worse else "does not confirm"
        rows.append((verdict, f"{slowdown:.2f}× the time per epoch; {text}"))

    high_lr = done["learning rate"] >= LR_SPLIT
    high_m = done["momentum"] >= MOMENTUM_SPLIT
    fast, slow = done[high_lr & ~high_m], done[~high_lr & high_m]
    if min(len(fast), len(slow)) < MIN_TRIALS:
        rows.append(
            (
                "inconclusive at this budget",
                f"completed trials: {len(fast)} high lr + low momentum, {len(slow)} low lr + high momentum",
            )
        )
    else:
        ratio, text = _loss_comparison(fast, slow, "high lr + low momentum", "low lr + high momentum")
        rows.append(("confirms" if ratio <= 1 + TOLERANCE else "does not confirm", text))

    return pd.DataFrame(
        [
            {"claim": claim, "ours": ours, "verdict": verdict}
            for claim, (verdict, ours) in zip(REPORT_CLAIMS, rows, strict=True)
        ]
    )


def _loss_colors(trials: pd.DataFrame):
    """A shared log colour scale for the trials' best losses (yellow: lowest, purple: highest)."""
    losses = trials["loss"].dropna()
    low, high = (losses.min(), losses.max()) if len(losses) else (1e-3, 1e-1)
    norm = LogNorm(vmin=low, vmax=max(high, low * 1.01))
    return norm, plt.get_cmap("viridis_r")


def plot_search(trials: pd.DataFrame) -> Figure:
    """Learning rate (log) vs momentum, one marker per trial coloured by its best loss; failed trials as red crosses.

    Marker shape: activation (circle LeakyReLU, triangle ReLU); a black edge: batch norm on. The dotted lines split the
    space into the halves that `compare_with_report` compares.
    """
    norm, cmap = _loss_colors(trials)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    done, failed = trials[trials["status"] != "failed"], trials[trials["status"] == "failed"]
    style = {"cmap": cmap, "norm": norm, "s": 70, "linewidths": 1.2}
    for activation, marker in (("LeakyReLU", "o"), ("ReLU", "^")):
        for bn, edge in (("off", "none"), ("on", "black")):
            part = done[(done["activation"] == activation) & (done["BN"] == bn)]
            if not len(part):
                continue
            label = f"{activation}, BN {bn} ({len(part)})"
            ax.scatter(part["learning rate"], part["momentum"], c=part["loss"], marker=marker, edgecolors=edge,
                       label=label, **style)  # fmt: skip
    if len(failed):
        label = f"failed ({len(failed)})"
        ax.scatter(failed["learning rate"], failed["momentum"], marker="x", color="red", s=70, label=label)
    ax.axvline(LR_SPLIT, color="gray", ls=":", lw=1)
    ax.axhline(MOMENTUM_SPLIT, color="gray", ls=":", lw=1)
    ax.set(xscale="log", xlabel="learning rate (SGD)", ylabel="momentum", title="best validation loss per trial")
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="best validation loss (MSE)")
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_trial_curves(result: SearchResult) -> Figure:
    """Validation loss and PSNR per epoch of every trial, coloured by the trial's best loss (as in `plot_search`).

    Lines that end early are trials ASHA stopped; a red cross marks the last finished epoch of a failed trial.
    """
    trials, curves = result.trials, result.curves
    norm, cmap = _loss_colors(trials)
    fig, (ax_loss, ax_psnr) = plt.subplots(1, 2, figsize=(10, 3.8))
    for _, trial in trials.iterrows():
        c = curves[curves["trial"] == trial["trial"]]
        if not len(c):
            continue
        failed = trial["status"] == "failed"
        color = "red" if failed else cmap(norm(trial["loss"]))
        for ax, key in ((ax_loss, "loss"), (ax_psnr, "psnr")):
            ax.plot(c["epoch"], c[key], "-o", ms=3, color=color, alpha=0.8)
            if failed:
                ax.plot(c["epoch"].iloc[-1], c[key].iloc[-1], "x", color="red", ms=9)
    ax_loss.set(xlabel="epoch", ylabel="validation loss (MSE)", yscale="log", title="validation loss per trial")
    ax_psnr.set(xlabel="epoch", ylabel="PSNR (dB)", title="validation PSNR per trial")
    epochs = int(np.nanmax(curves["epoch"])) if len(curves) else 1
    for ax in (ax_loss, ax_psnr):
        ax.set_xticks(range(1, epochs + 1))
        ax.grid(alpha=0.3)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=[ax_loss, ax_psnr], label="best loss of the trial")
    return fig
