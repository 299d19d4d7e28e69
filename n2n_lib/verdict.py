"""Verdicts backed by their spread: is A better than B, worse, or indistinguishable at this budget?

A single training run is one draw: its PSNR moves with the seed (initial weights, batch order, noise) by about as much
as many of the differences the lab compares. So every comparison that prints a verdict — N2N against N2C, Adam against
SGD, one augmentation against another (notebook 03), the pretrained twins (notebook 05), the report — goes through
`compare`: it takes at least three scores per side (seeds, or trials), states each side's mean ± spread (the sample
standard deviation), and calls A "better" or "worse" only when a t-test says the difference of the means is larger than
those spreads explain (p < 0.05), "indistinguishable" otherwise::

    >>> print(compare("N2N", [28.31, 28.27, 28.35], "N2C", [28.40, 28.33, 28.44], paired=True))
    N2N 28.31 ± 0.04 dB vs N2C 28.39 ± 0.06 dB (3 seeds each): N2N is worse by 0.08 dB (paired t-test, p = 0.015)

``paired=True`` is for matched runs, where score i of both sides comes from the same seed (same initial weights and
batch order, only the compared setting differs): the test then looks at the per-seed differences, which vary less than
the scores themselves. "Indistinguishable" is a statement about *this* budget and number of seeds, not a proof that the
two are equal: more seeds or longer training may separate them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from n2n_lib.errors import InputError

MIN_SCORES = 3  # fewer cannot estimate a spread worth the name
ALPHA = 0.05  # significance level of the t-test
VERDICTS = ("better", "worse", "indistinguishable")


def _spread(scores: Sequence[float]) -> float:
    return statistics.stdev(scores)  # sample standard deviation (n - 1)


@dataclass(frozen=True)
class Comparison:
    """The outcome of `compare`: both sides' scores, the t-test's p-value and the verdict for A against B."""

    a: str
    a_scores: tuple[float, ...]
    b: str
    b_scores: tuple[float, ...]
    paired: bool
    p_value: float
    verdict: str  # one of VERDICTS, for A against B: "better" means A scores higher
    unit: str = "dB"
    over: str = "seeds"  # what the scores are of: "seeds", or "images" for one model per side scored per image

    @property
    def mean_a(self) -> float:
        return statistics.fmean(self.a_scores)

    @property
    def mean_b(self) -> float:
        return statistics.fmean(self.b_scores)

    @property
    def spread_a(self) -> float:
        return _spread(self.a_scores)

    @property
    def spread_b(self) -> float:
        return _spread(self.b_scores)

    @property
    def difference(self) -> float:
        """mean of A − mean of B."""
        return self.mean_a - self.mean_b

    def side(self, which: str) -> str:
        """ "N2N 28.31 ± 0.04 dB" for side "a" or "b"."""
        label, mean, spread = (
            (self.a, self.mean_a, self.spread_a) if which == "a" else (self.b, self.mean_b, self.spread_b)
        )
        return f"{label} {mean:.2f} ± {spread:.2f} {self.unit}"

    @property
    def conclusion(self) -> str:
        """ "N2N is worse by 0.08 dB" or "indistinguishable at this budget, difference -0.02 dB"."""
        if self.verdict == "indistinguishable":
            return f"indistinguishable at this budget, difference {self.difference:+.2f} {self.unit}"
        return f"{self.a} is {self.verdict} by {abs(self.difference):.2f} {self.unit}"

    def __str__(self) -> str:
        n_a, n_b = len(self.a_scores), len(self.b_scores)
        runs = f"{n_a} {self.over} each" if n_a == n_b else f"{n_a} and {n_b} {self.over}"
        test = "paired t-test" if self.paired else "Welch's t-test"
        return f"{self.side('a')} vs {self.side('b')} ({runs}): {self.conclusion} ({test}, p = {self.p_value:.2g})"


def _checked(label: str, scores: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(s) for s in scores)
    if len(values) < MIN_SCORES:
        raise InputError(
            f"{label!r} has {len(values)} score(s); a verdict needs at least {MIN_SCORES} (train more seeds)."
        )
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"{label!r} has a score that is NaN or infinite: {values}; drop the diverged run.")
    return values


def _flat(values: Sequence[float]) -> bool:
    """All equal up to rounding (a t-test is undefined there)."""
    return max(values) - min(values) <= 1e-9 * max(1.0, *(abs(v) for v in values))


def _p_value(a: tuple[float, ...], b: tuple[float, ...], paired: bool) -> float:
    """Two-sided p-value of "the means are equal". Zero spread (all differences alike) decides on the mean alone."""
    if paired:
        diffs = [x - y for x, y in zip(a, b, strict=True)]
        if _flat(diffs):
            return 1.0 if _flat([*diffs, 0.0]) else 0.0
        return float(stats.ttest_rel(a, b).pvalue)
    if _flat(a) and _flat(b):
        return 1.0 if _flat([*a, *b]) else 0.0
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def compare(
    a: str,
    a_scores: Sequence[float],
    b: str,
    b_scores: Sequence[float],
    paired: bool = False,
    unit: str = "dB",
    over: str = "seeds",
) -> Comparison:
    """Compare scores where higher is better (PSNR), at least `MIN_SCORES` per side.

    paired=True: score i of A and score i of B come from matched runs (same seed), or are one model each scored on the
    same image i (``over="images"``); both sides then need as many scores.
    Raises InputError for too few scores, NaN or infinite ones, or unmatched lengths with `paired`.
    """
    sa, sb = _checked(a, a_scores), _checked(b, b_scores)
    if paired and len(sa) != len(sb):
        raise InputError(f"paired comparison of {a!r} ({len(sa)} scores) and {b!r} ({len(sb)}): give one per seed.")
    p = _p_value(sa, sb, paired)
    diff = statistics.fmean(sa) - statistics.fmean(sb)
    verdict = "indistinguishable" if p >= ALPHA else ("better" if diff > 0 else "worse")
    return Comparison(a, sa, b, sb, paired, p, verdict, unit, over)
