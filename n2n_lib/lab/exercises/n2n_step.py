"""Notebook 03's exercise: one Noise2Noise training step, watched from outside the student's function."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import Tensor

from n2n_lib.lab import solutions
from n2n_lib.lab.exercises.grading import Wrong, call, close, grade
from n2n_lib.model import UNet, UNetConfig


def check_n2n_step(step: Callable) -> Callable:
    """Notebook 03: ``step(model, optimizer, clean, sigma, generator)`` must take one Noise2Noise step, return the loss.

    Watched from outside: what goes into the model (hook), the gradient at its output (which gives the target back,
    since for L2 ∂loss/∂pred = 2·(pred − target)/N), the weights and their gradients.
    """

    def find_problem(fn: Callable) -> None:
        torch.manual_seed(0)
        model = UNet(UNetConfig(width=8, depth=2, head=(8, 4)))
        clean = 0.3 + 0.4 * torch.rand(4, 3, 16, 16)  # mid-tones: noise of σ = 25/255 is hardly ever clipped here
        first = _watch_step(fn, model, clean, 25.0, seed=1)
        _check_step(first, clean, 25.0)
        if not torch.equal(_watch_step(fn, model, clean, 25.0, seed=1)["input"], first["input"]):
            raise Wrong("the noise does not come from `generator`: pass generator=generator to torch.randn/add_noise")
        if torch.equal(_watch_step(fn, model, clean, 25.0, seed=2)["input"], first["input"]):
            raise Wrong("the noise is the same whatever `generator` holds: draw it from `generator`, not a new one")

    return grade(
        step,
        solutions.n2n_step,
        find_problem,
        "noisy input, independent noisy target (σ as asked), mean squared error, one optimizer step",
    )


_STALE = 1000.0  # a gradient left from "an earlier step"; only zero_grad removes it


def _watch_step(fn: Callable, model: UNet, clean: Tensor, sigma: float, seed: int) -> dict:
    model = copy.deepcopy(model)
    before = [p.detach().clone() for p in model.parameters()]
    for p in model.parameters():
        p.grad = torch.full_like(p, _STALE)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    inputs, outputs, out_grads = [], [], []

    def hook(module, args, output):
        inputs.append(args[0].detach().clone())
        outputs.append(output.detach().clone())
        if output.requires_grad:
            output.register_hook(out_grads.append)

    handle = model.register_forward_hook(hook)
    given = clean.clone()
    try:
        loss = call(fn, model, optimizer, given, sigma, torch.Generator().manual_seed(seed))
    finally:
        handle.remove()
    if not inputs:
        raise Wrong("the model never ran: forward the first noisy copy through `model`")
    return {
        "loss": loss,
        "runs": len(inputs),
        "input": inputs[0],
        "pred": outputs[0],
        "out_grad": out_grads[0] if out_grads else None,
        "clean_changed": not torch.equal(given, clean),
        "moved": any(not torch.equal(a, p.detach()) for a, p in zip(before, model.parameters(), strict=True)),
        "stale": any(p.grad is not None and p.grad.mean() > _STALE / 2 for p in model.parameters()),
    }


def _check_step(run: dict, clean: Tensor, sigma: float) -> None:
    loss = run["loss"]
    if isinstance(loss, Tensor) and loss.numel() == 1:
        loss = loss.item()
    if not isinstance(loss, (int, float)):
        raise Wrong(f"it returned {type(loss).__name__}: return the loss as a number (loss.item())")
    if run["clean_changed"]:
        raise Wrong("it changed `clean` in place: make new tensors (clean + noise), the data must stay clean")
    if run["runs"] > 1:
        raise Wrong(f"the model ran {run['runs']} times: forward only the noisy input, once")
    noise_in = run["input"] - clean
    if noise_in.abs().max() < 1e-6:
        raise Wrong("the input is the clean batch: the network's input is a noisy copy")
    _check_noise(noise_in, sigma, "input")
    g = run["out_grad"]
    if g is None:
        raise Wrong("no gradient reached the model's output: compute the loss from it and call loss.backward()")
    n = g.numel()
    residual = g * n / 2  # pred − target, if the loss is the mean of squares
    if not close(residual.pow(2).mean().item(), loss, rel=1e-3):
        if close((g / 2).pow(2).sum().item(), loss, rel=1e-3):
            raise Wrong("the loss is a sum of squares: take the mean, (pred − target).pow(2).mean()")
        if ((g.abs() * n - 1).abs() < 1e-3).all():
            raise Wrong("that is the L1 loss: the mean is learnt by L2, (pred − target).pow(2).mean()")
        raise Wrong("the returned loss is not the mean squared error that was back-propagated: return loss.item()")
    noise_target = run["pred"] - residual - clean
    if noise_target.abs().max() < 1e-4:
        raise Wrong("the target is the clean batch — that is Noise2Clean; N2N's target is a second noisy copy")
    if (noise_target - noise_in).abs().max() < 1e-4:
        raise Wrong("input and target carry the same noise: draw a second, independent noise for the target")
    r = torch.corrcoef(torch.stack([noise_in.flatten(), noise_target.flatten()]))[0, 1].item()
    if abs(r) > 0.2:
        raise Wrong(f"the input's and the target's noise are correlated (r = {r:.2f}): draw them independently")
    _check_noise(noise_target, sigma, "target")
    if run["stale"]:
        raise Wrong("gradients piled up on older ones: call optimizer.zero_grad() before loss.backward()")
    if not run["moved"]:
        raise Wrong("the weights did not change: optimizer.zero_grad(), loss.backward(), optimizer.step(), in order")


def _check_noise(noise: Tensor, sigma: float, which: str) -> None:
    """Zero-mean Gaussian noise of std sigma/255 (bands far wider than the sampling error of 3072 values)."""
    std, mean = noise.std().item(), noise.mean().item()
    if abs(std * 255 / sigma - 1) > 0.15:
        raise Wrong(
            f"the {which}'s noise has σ ≈ {std * 255:.1f}/255, expected {sigma:g}/255: sigma is in 0-255 units, "
            "so the noise is sigma / 255 · torch.randn(...)"
        )
    if abs(mean) > 5 * sigma / 255 / math.sqrt(noise.numel()):
        raise Wrong(f"the {which}'s noise has mean {mean:+.3f}: Noise2Noise needs zero-mean noise (torch.randn)")
