"""Notebook 01's exercise: the annealed L0 loss, checked against `n2n_lib.losses.annealed_l0_loss`, gradient too."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from n2n_lib.lab import solutions
from n2n_lib.lab.exercises.grading import Wrong, call, close, grade
from n2n_lib.losses import GAMMA_MIN, annealed_l0_loss


def check_annealed_l0(loss_fn: Callable[[Tensor, Tensor, float], Tensor]) -> Callable:
    """Notebook 01: ``loss_fn(pred, target, progress)`` must match `n2n_lib.losses.annealed_l0_loss`, gradient too."""

    def find_problem(fn: Callable) -> None:
        g = torch.Generator().manual_seed(0)
        target, other = torch.rand(2, 2, 3, 8, 8, generator=g)
        exact = torch.rand(2, 1, 8, 8, generator=g) < 0.5  # half the pixels predicted exactly, as with impulses
        pred = torch.where(exact, target, other)
        for progress in (0.0, 0.25, 0.5, 0.9, 1.0):
            p = pred.clone().requires_grad_()
            got = call(fn, p, target.clone(), progress)
            if not isinstance(got, Tensor):
                raise Wrong(f"it returned a {type(got).__name__}: return a tensor, so gradients can flow")
            if got.numel() != 1:
                raise Wrong(f"it returned shape {tuple(got.shape)}: average over every element (.mean())")
            value, want = got.item(), annealed_l0_loss(pred, target, progress).item()
            if math.isnan(value):
                raise Wrong(f"NaN at progress {progress}: take |pred − target| before the fractional power")
            if not close(value, want):
                raise Wrong(f"at progress {progress}: {_l0_diagnosis(value, pred, target, progress)}")
            if got.grad_fn is None:
                raise Wrong("no gradient reaches pred: use torch operations only (no .item(), .detach() or numpy)")
            got.backward()
            q = pred.clone().requires_grad_()
            annealed_l0_loss(q, target, progress).backward()
            if p.grad is None or not torch.isfinite(p.grad).all():
                raise Wrong("the gradient is not finite where pred == target: add eps to |pred − target| first")
            if not torch.allclose(p.grad, q.grad, rtol=1e-3, atol=1e-9):
                raise Wrong(f"the value is right but the gradient is not, at progress {progress}")

    return grade(
        loss_fn, solutions.annealed_l0, find_problem, "γ falls from 2 to GAMMA_MIN; value and gradient as the library's"
    )


def _l0_diagnosis(value: float, pred: Tensor, target: Tensor, progress: float) -> str:
    """Why an L0 value is off: the common slips, tried one by one."""
    d = (pred - target).abs()
    want = annealed_l0_loss(pred, target, progress)
    no_eps = d.pow(max(2 * (1 - progress), GAMMA_MIN)).mean()
    slips = {
        "γ stays at 2: it must fall linearly from 2 (progress 0) to GAMMA_MIN (progress 1)": (d + 1e-8).pow(2).mean(),
        "γ runs backwards: 2 at the start (progress 0), small at the end": (d + 1e-8).pow(2 * progress).mean(),
        "γ reached 0, where the loss is the constant 1 and gradients vanish: stop at GAMMA_MIN": torch.tensor(1.0),
        "where pred == target your loss counts 0: add eps = 1e-8 to |pred − target| before the power": no_eps,
        "that is the sum over pixels: take the mean": want * d.numel(),
    }
    for slip, wrong in slips.items():
        if close(value, wrong.item()):
            return slip
    return (
        f"the loss is {value:.4g}, expected {want.item():.4g}: "
        "mean((|pred − target| + eps)^γ) with γ = max(2·(1 − progress), GAMMA_MIN)"
    )
