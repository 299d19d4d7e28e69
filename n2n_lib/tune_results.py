"""The search's results: the report's three claims checked, and the search figures (Table 1 on disk is
`n2n_lib.results.TuningTable`).

Taught in notebook ``04_hyperparameter_tuning``, after `n2n_lib.tune.run_search` has produced a `SearchResult`.
`compare_with_report` decides each of the lab report's conclusions from our completed trials with explicit rules (the
constants below), so a verdict changes when the numbers do; `plot_search` and `plot_trial_curves` draw the trials.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from n2n_lib.tune import LR_RANGE, MOMENTUM_RANGE, SearchResult
from n2n_lib.verdict import MIN_SCORES, Comparison, compare

REPORT_CLAIMS = (
    "ReLU is no better than LeakyReLU",
    "batch norm makes training about 1.5× slower and slightly worse",
    "a high learning rate with low momentum does as well as a low learning rate with high momentum",
)
SLOWER = 1.25  # a time-per-epoch ratio at least this large counts as "slower" (halfway from 1× to the report's 1.5×)
LR_SPLIT = (LR_RANGE[0] * LR_RANGE[1]) ** 0.5  # "high" learning rates: the upper half of the log range (≥ 0.0032)
MOMENTUM_SPLIT = sum(MOMENTUM_RANGE) / 2  # "high" momentum: ≥ 0.5
# Two trials are a matched pair when their learning rates lie within MATCH_LR decades and their momenta within
# MATCH_MOMENTUM (claims 1 and 2), or, for claim 3, when their effective steps lr / (1 - momentum) lie within
# MATCH_STEP decades; and when the settings the claim does not compare are equal (`_SAME`).
MATCH_LR, MATCH_MOMENTUM, MATCH_STEP = 0.25, 0.1, 0.15
_SAME = {1: ("BN",), 2: ("activation",), 3: ("activation", "BN")}
INCONCLUSIVE = "inconclusive at this budget"


def denoising_trials(trials: pd.DataFrame, noisy_loss: float) -> pd.DataFrame:
    """The completed trials whose best validation loss is below the noisy input's: those that denoise at all."""
    return trials[(trials["status"] != "failed") & (trials["loss"] < noisy_loss)]


def _step(trial: pd.Series) -> float:
    """SGD's effective step size, lr / (1 - momentum): the step a constant gradient settles to."""
    return trial["learning rate"] / (1 - trial["momentum"])


def _distance(a: pd.Series, b: pd.Series, claim: int) -> float:
    """How far apart two trials' settings are, in units of the matching tolerances; ≤ 1 is a match."""
    if any(a[key] != b[key] for key in _SAME[claim]):
        return math.inf
    if claim == 3:
        return abs(math.log10(_step(a) / _step(b))) / MATCH_STEP
    lr = abs(math.log10(a["learning rate"] / b["learning rate"])) / MATCH_LR
    return max(lr, abs(a["momentum"] - b["momentum"]) / MATCH_MOMENTUM)


def matched_pairs(a: pd.DataFrame, b: pd.DataFrame, claim: int = 1) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs (index in a, index in b) of matched settings, closest first (see MATCH_LR)."""
    close = sorted(
        (d, i, j) for i, ra in a.iterrows() for j, rb in b.iterrows() if (d := _distance(ra, rb, claim)) <= 1
    )
    used_a, used_b, pairs = set(), set(), []
    for _, i, j in close:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return pairs


def _scores(trials: pd.DataFrame, curves: pd.DataFrame, pairs: list[tuple[int, int]]) -> tuple[list, list]:
    """Each pair's best validation PSNRs over the epochs both trials ran (ASHA may have stopped one sooner)."""
    out_a, out_b = [], []
    for i, j in pairs:
        common = min(trials.at[i, "epochs"], trials.at[j, "epochs"])
        for index, out in ((i, out_a), (j, out_b)):
            c = curves[(curves["trial"] == trials.at[index, "trial"]) & (curves["epoch"] <= common)]
            out.append(float(c["psnr"].max()))
    return out_a, out_b


def _claim(trials, curves, a, b, names, claim) -> tuple[Comparison | None, str, list[tuple[int, int]]]:
    """(the verdict helper's comparison of a against b over matched pairs, or None with why, the pairs)."""
    pairs = matched_pairs(a, b, claim)
    if len(pairs) < MIN_SCORES:
        return None, f"{len(pairs)} matched pair(s) of {names[0]} and {names[1]} trials ({MIN_SCORES} needed)", pairs
    sa, sb = _scores(trials, curves, pairs)
    return compare(names[0], sa, names[1], sb, paired=True, over="matched trials"), "", pairs


def compare_with_report(trials: pd.DataFrame, curves: pd.DataFrame, noisy_loss: float) -> pd.DataFrame:
    """Check the report's three conclusions (`REPORT_CLAIMS`) against our trials; one row per claim.

    trials, curves: `SearchResult.trials` and `.curves`. noisy_loss: the noisy validation input's MSE. When fewer than
    half of the trials denoise (`denoising_trials`), every verdict is "inconclusive at this budget": a comparison of
    trials that have not learnt to denoise says nothing about the settings. Otherwise each claim compares trials in
    matched pairs (`matched_pairs`: the same learning rate and momentum, so the compared setting is not confounded
    with them) with the verdict helper (`n2n_lib.verdict.compare`, paired, on best validation PSNR) and needs at least
    three pairs. Columns: claim, ours (the numbers), verdict ("confirms", "partly confirms", "does not confirm" or
    "inconclusive at this budget").
    """
    denoise = len(denoising_trials(trials, noisy_loss))
    if 2 * denoise < len(trials):
        why = f"{denoise} of {len(trials)} trials beat the noisy input (loss {noisy_loss:.4f}); a verdict needs half"
        return _table([(INCONCLUSIVE, why)] * 3)
    done = trials[trials["status"] != "failed"]
    rows = []
    relu, leaky = done[done["activation"] == "ReLU"], done[done["activation"] == "LeakyReLU"]
    c, why, _ = _claim(done, curves, relu, leaky, ("ReLU", "LeakyReLU"), 1)
    rows.append(
        (INCONCLUSIVE, why) if c is None else ("does not confirm" if c.verdict == "better" else "confirms", str(c))
    )

    on, off = done[done["BN"] == "on"], done[done["BN"] == "off"]
    c, why, pairs = _claim(done, curves, on, off, ("BN on", "BN off"), 2)
    if c is None:
        rows.append((INCONCLUSIVE, why))
    else:
        per_epoch = done["time (s)"] / done["epochs"]
        slowdown = sum(per_epoch[i] / per_epoch[j] for i, j in pairs) / len(pairs)
        slower, worse = slowdown >= SLOWER, c.verdict == "worse"
        verdict = "confirms" if slower and worse else "partly confirms" if slower or worse else "does not confirm"
        rows.append((verdict, f"{slowdown:.2f}× the time per epoch; {c}"))

    high_lr, high_m = done["learning rate"] >= LR_SPLIT, done["momentum"] >= MOMENTUM_SPLIT
    fast, slow = done[high_lr & ~high_m], done[~high_lr & high_m]
    c, why, _ = _claim(done, curves, fast, slow, ("high lr + low momentum", "low lr + high momentum"), 3)
    rows.append(
        (INCONCLUSIVE, why) if c is None else ("does not confirm" if c.verdict == "worse" else "confirms", str(c))
    )
    return _table(rows)


def _table(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"claim": claim, "ours": ours, "verdict": verdict}
            for claim, (verdict, ours) in zip(REPORT_CLAIMS, rows, strict=True)
        ]
    )


REFERENCE_STYLES = ({"color": "black", "ls": "--"}, {"color": "tab:red", "ls": "-."})  # noisy input, mean filter
References = dict[str, tuple[float, float]]  # label → (validation loss, validation PSNR in dB)


def _loss_colors(trials: pd.DataFrame, references: References | None = None):
    """A shared log colour scale for the trials' best losses (yellow: lowest, purple: highest), wide enough to hold
    the reference levels too, so they can be marked on the colour bar."""
    losses = pd.concat([trials["loss"].dropna(), pd.Series([loss for loss, _ in (references or {}).values()])])
    low, high = (losses.min(), losses.max()) if len(losses) else (1e-3, 1e-1)
    norm = LogNorm(vmin=low, vmax=max(high, low * 1.01))
    return norm, plt.get_cmap("viridis_r")


def plot_search(trials: pd.DataFrame, references: References | None = None) -> Figure:
    """Learning rate (log) vs momentum, one marker per trial coloured by its best loss; failed trials as red crosses.

    Marker shape: activation (circle LeakyReLU, triangle ReLU); a black edge: batch norm on. The dotted lines split the
    space into the halves that `compare_with_report` compares. references: levels marked on the colour bar, e.g.
    ``{"noisy input": (loss, dB), "mean filter 3×3": (loss, dB)}``; a trial denoises only below the noisy input's.
    """
    norm, cmap = _loss_colors(trials, references)
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
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="best validation loss (MSE)")
    for (label, (loss, _)), style in zip((references or {}).items(), REFERENCE_STYLES, strict=False):
        bar.ax.axhline(loss, lw=2, **style)
        ax.plot([], [], lw=2, label=f"{label} (on the colour bar)", **style)
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_trial_curves(result: SearchResult, references: References | None = None) -> Figure:
    """Validation loss and PSNR per epoch of every trial, coloured by the trial's best loss (as in `plot_search`).

    Lines that end early are trials ASHA stopped; a red cross marks the last finished epoch of a failed trial.
    references: horizontal lines at these levels (see `plot_search`), so a curve shows when a trial starts to denoise.
    """
    trials, curves = result.trials, result.curves
    norm, cmap = _loss_colors(trials, references)
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
    for (label, levels), style in zip((references or {}).items(), REFERENCE_STYLES, strict=False):
        for ax, level in zip((ax_loss, ax_psnr), levels, strict=True):
            ax.axhline(level, lw=1.5, label=label, **style)
    if references:
        ax_psnr.legend(fontsize=7, loc="lower right")
    epochs = int(np.nanmax(curves["epoch"])) if len(curves) else 1
    for ax in (ax_loss, ax_psnr):
        ax.set_xticks(range(1, epochs + 1))
        ax.grid(alpha=0.3)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=[ax_loss, ax_psnr], label="best loss of the trial")
    return fig
