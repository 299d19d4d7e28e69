"""Notebook 04's exercise: the tuning table's loss (an MSE) read in dB."""

from __future__ import annotations

import math
from collections.abc import Callable

from n2n_lib.lab import solutions
from n2n_lib.lab.exercises.grading import Wrong, call, close, grade


def check_loss_to_psnr(convert: Callable[[float], float]) -> Callable:
    """Notebook 04: ``convert(mse)`` must give the PSNR in dB of images in [0, 1]: 10·log10(1 / mse)."""

    def find_problem(fn: Callable) -> None:
        for mse in (0.01, 0.001, 0.0025, 0.0123):
            got = call(fn, mse)
            try:
                got = float(got)
            except (TypeError, ValueError):
                raise Wrong(f"it returned {type(got).__name__}: return a number") from None
            want = 10 * math.log10(1 / mse)
            if close(got, want, rel=1e-6):
                continue
            slips = {
                "the loss is already squared: 10·log10, not 20·log10": 20 * math.log10(1 / mse),
                "the images are in [0, 1], so the peak is 1, not 255": 10 * math.log10(255**2 / mse),
                "use log10, not the natural logarithm": 10 * math.log(1 / mse),
                "PSNR = 10·log10(peak² / MSE): a smaller loss gives more dB": 10 * math.log10(mse),
            }
            slip = next((s for s, wrong in slips.items() if close(got, wrong, rel=1e-6)), "PSNR = 10·log10(1 / MSE)")
            raise Wrong(f"a loss of {mse:g} gave {got:.2f} dB, expected {want:.2f} dB: {slip}")

    return grade(convert, solutions.loss_to_psnr, find_problem, "10·log10(1 / MSE) for images in [0, 1]")
