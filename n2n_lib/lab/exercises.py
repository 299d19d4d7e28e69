"""Checks for the notebooks' coding exercises: each says what is right or wrong in the student's function.

One check per notebook, in its check cell: `check_annealed_l0` (01, the annealed L0 loss), `check_skip_stack` (02, the
U-Net's forward pass with a skip stack), `check_n2n_step` (03, one Noise2Noise training step) and `check_loss_to_psnr`
(04, the tuning table's loss in dB). ``fn = check_xxx(student_function)`` prints one line and returns the function the
notebook goes on with:

* ``✓ …``: the student's function does what the exercise asks; it is returned.
* ``✗ …``: what is wrong and how to fix it; the reference solution (`n2n_lib.lab.solutions`) is returned, so the rest of
  the notebook still runs.
* ``· … not done yet …``: the stub still raises NotImplementedError; the reference solution is checked instead (an
  AssertionError if it fails: a bug in the lab, not in the student's code) and returned.

Each check builds its own small models and inputs and draws its random numbers inside `torch.random.fork_rng`, so it
never changes the notebook's random state or objects (the trained numbers after it stay as they were), and its line is
the same on every machine: measured numbers appear only in ✗ lines.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import Tensor

from n2n_lib.lab import solutions
from n2n_lib.losses import GAMMA_MIN, annealed_l0_loss
from n2n_lib.model import UNet, UNetConfig


class _Wrong(Exception):
    """What is wrong with the student's function, as one sentence for the ✗ line."""


def _grade(student: Callable, reference: Callable, find_problem: Callable[[Callable], None], right: str) -> Callable:
    """Run `find_problem` on the student's function and print ✓, ✗ or "not done yet"; return the function to use."""
    name = getattr(student, "__name__", "your function")
    with torch.random.fork_rng(devices=[]):
        try:
            find_problem(student)
        except NotImplementedError:
            try:
                find_problem(reference)
            except _Wrong as wrong:
                raise AssertionError(f"the reference solution fails its check ({wrong}): a bug in n2n_lib") from None
            print(f"· {name}: not done yet — running the reference solution so the rest of the notebook works")
            return reference
        except _Wrong as wrong:
            print(f"✗ {name}: {wrong} (the rest of the notebook uses the reference solution until this passes)")
            return reference
    print(f"✓ {name}: {right}")
    return student


def _call(fn: Callable, *args):
    """fn(*args); an exception other than NotImplementedError becomes a ✗ naming it."""
    try:
        return fn(*args)
    except (NotImplementedError, _Wrong):
        raise
    except Exception as exc:
        raise _Wrong(f"it raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc


def _close(a: float, b: float, rel: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def check_annealed_l0(loss_fn: Callable[[Tensor, Tensor, float], Tensor]) -> Callable:
    """Notebook 01: ``loss_fn(pred, target, progress)`` must match `n2n_lib.losses.annealed_l0_loss`, gradient too."""

    def find_problem(fn: Callable) -> None:
        g = torch.Generator().manual_seed(0)
        target, other = torch.rand(2, 2, 3, 8, 8, generator=g)
        exact = torch.rand(2, 1, 8, 8, generator=g) < 0.5  # half the pixels predicted exactly, as with impulses
        pred = torch.where(exact, target, other)
        for progress in (0.0, 0.25, 0.5, 0.9, 1.0):
            p = pred.clone().requires_grad_()
            got = _call(fn, p, target.clone(), progress)
            if not isinstance(got, Tensor):
                raise _Wrong(f"it returned a {type(got).__name__}: return a tensor, so gradients can flow")
            if got.numel() != 1:
                raise _Wrong(f"it returned shape {tuple(got.shape)}: average over every element (.mean())")
            value, want = got.item(), annealed_l0_loss(pred, target, progress).item()
            if math.isnan(value):
                raise _Wrong(f"NaN at progress {progress}: take |pred − target| before the fractional power")
            if not _close(value, want):
                raise _Wrong(f"at progress {progress}: {_l0_diagnosis(value, pred, target, progress)}")
            if got.grad_fn is None:
                raise _Wrong("no gradient reaches pred: use torch operations only (no .item(), .detach() or numpy)")
            got.backward()
            q = pred.clone().requires_grad_()
            annealed_l0_loss(q, target, progress).backward()
            if p.grad is None or not torch.isfinite(p.grad).all():
                raise _Wrong("the gradient is not finite where pred == target: add eps to |pred − target| first")
            if not torch.allclose(p.grad, q.grad, rtol=1e-3, atol=1e-9):
                raise _Wrong(f"the value is right but the gradient is not, at progress {progress}")

    return _grade(
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
        if _close(value, wrong.item()):
            return slip
    return (
        f"the loss is {value:.4g}, expected {want.item():.4g}: "
        "mean((|pred − target| + eps)^γ) with γ = max(2·(1 − progress), GAMMA_MIN)"
    )


# Three depths, so that a forward pass written for one network only does not pass; non-square inputs.
_SKIP_CONFIGS = (UNetConfig(), UNetConfig(width=8, depth=1, head=(8, 4)), UNetConfig(width=6, depth=4, head=(8, 4)))


class _CalledModel(Exception):
    pass


def _refuse(*args, **kwargs):
    raise _CalledModel


def _block_inputs(model: UNet, run: Callable[[], Tensor]) -> tuple[Tensor | BaseException, list[tuple[str, Tensor]]]:
    """(run()'s result or the exception it raised, [(block name, its input)] in the order the blocks ran)."""
    calls: list[tuple[str, Tensor]] = []
    hooks = [
        block.register_forward_pre_hook(lambda m, args, name=name: calls.append((name, args[0].detach().clone())))
        for name, block in [*model.encoder.items(), *model.decoder.items()]
    ]
    try:
        with torch.no_grad():
            return run(), calls
    except (NotImplementedError, _Wrong):
        raise
    except Exception as exc:
        return exc, calls
    finally:
        for hook in hooks:
            hook.remove()


def check_skip_stack(forward: Callable[[UNet, Tensor], Tensor]) -> Callable:
    """Notebook 02: ``forward(model, x)`` must compute `model(x)` from the blocks, for U-Nets of depth 1, 3 and 4."""

    def find_problem(fn: Callable) -> None:
        for config in _SKIP_CONFIGS:
            torch.manual_seed(0)
            model = UNet(config).eval()
            x = torch.rand(2, 3, 2 ** (config.depth + 1), 3 * 2**config.depth)  # (B, C, H, W), multiples of 2**depth
            expected, want = _block_inputs(model, lambda m=model, x=x: UNet.forward(m, x))
            model.forward = _refuse  # the student's function must not call model(x) itself
            got, calls = _block_inputs(model, lambda m=model, x=x, fn=fn: fn(m, x))
            try:
                _compare_forward(got, calls, expected, want, f"depth {config.depth}")
            except _Wrong as wrong:
                if config is _SKIP_CONFIGS[0]:
                    raise
                raise _Wrong(f"{wrong}; it passes at depth 3: let model.config.depth set the levels") from None

    return _grade(
        forward, solutions.unet_forward, find_problem, "same output as model(x) for U-Nets of depth 1, 3 and 4"
    )


def _compare_forward(got, calls: list, expected: Tensor, want: list, where: str) -> None:
    """Raise _Wrong at the first block whose input differs from the model's own forward pass."""
    if isinstance(got, _CalledModel):
        raise _Wrong("it called model(x) itself: build the pass from model.encoder, model.pool and model.decoder")
    for step, (name, x) in enumerate(calls):
        if step >= len(want):
            raise _Wrong(f"{name} ran once too often ({where} U-Net)")
        want_name, want_x = want[step]
        if name != want_name:
            raise _Wrong(f"block {step + 1} is {name} but should be {want_name} ({where}): follow the trace above")
        if x.shape != want_x.shape:
            raise _Wrong(f"{name} got a {tuple(x.shape)} input, expected {tuple(want_x.shape)} ({where}){_hint(name)}")
        if not torch.allclose(x, want_x, rtol=1e-4, atol=1e-5):
            raise _Wrong(f"{name} got the right shape but other values ({where}){_hint(name)}")
    if isinstance(got, BaseException):
        text = str(got).splitlines()[0].rstrip(".") if str(got) else ""
        after = f" after {calls[-1][0]}" if calls else ""
        hint = _hint(want[len(calls)][0]) if len(calls) < len(want) else ""
        raise _Wrong(f"it raised {type(got).__name__}{after} ({where}): {text}{hint}")
    if len(calls) < len(want):
        raise _Wrong(f"{want[len(calls)][0]} never ran ({where})")
    if not isinstance(got, Tensor) or got.shape != expected.shape:
        shape = tuple(got.shape) if isinstance(got, Tensor) else type(got).__name__
        raise _Wrong(f"it returned {shape}, expected a {tuple(expected.shape)} tensor ({where})")
    if not torch.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise _Wrong(f"the output differs from model(x) ({where}): return dec_conv1c's output as it is")


def _hint(block: str) -> str:
    if block.startswith("dec_conv") and block.endswith("a"):
        return (
            f" — {block} takes h upsampled ×2 (nearest) and the last skip pushed, in that order on the channel axis: "
            "torch.cat([h, skips.pop()], dim=1)"
        )
    if block.startswith("enc_conv"):
        return " — the encoder pushes the input, then pools after enc_conv1 and after each enc_conv{level}"
    return ""


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
            raise _Wrong("the noise does not come from `generator`: pass generator=generator to torch.randn/add_noise")
        if torch.equal(_watch_step(fn, model, clean, 25.0, seed=2)["input"], first["input"]):
            raise _Wrong("the noise is the same whatever `generator` holds: draw it from `generator`, not a new one")

    return _grade(
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
        loss = _call(fn, model, optimizer, given, sigma, torch.Generator().manual_seed(seed))
    finally:
        handle.remove()
    if not inputs:
        raise _Wrong("the model never ran: forward the first noisy copy through `model`")
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
        raise _Wrong(f"it returned {type(loss).__name__}: return the loss as a number (loss.item())")
    if run["clean_changed"]:
        raise _Wrong("it changed `clean` in place: make new tensors (clean + noise), the data must stay clean")
    if run["runs"] > 1:
        raise _Wrong(f"the model ran {run['runs']} times: forward only the noisy input, once")
    noise_in = run["input"] - clean
    if noise_in.abs().max() < 1e-6:
        raise _Wrong("the input is the clean batch: the network's input is a noisy copy")
    _check_noise(noise_in, sigma, "input")
    g = run["out_grad"]
    if g is None:
        raise _Wrong("no gradient reached the model's output: compute the loss from it and call loss.backward()")
    n = g.numel()
    residual = g * n / 2  # pred − target, if the loss is the mean of squares
    if not _close(residual.pow(2).mean().item(), loss, rel=1e-3):
        if _close((g / 2).pow(2).sum().item(), loss, rel=1e-3):
            raise _Wrong("the loss is a sum of squares: take the mean, (pred − target).pow(2).mean()")
        if ((g.abs() * n - 1).abs() < 1e-3).all():
            raise _Wrong("that is the L1 loss: the mean is learnt by L2, (pred − target).pow(2).mean()")
        raise _Wrong("the returned loss is not the mean squared error that was back-propagated: return loss.item()")
    noise_target = run["pred"] - residual - clean
    if noise_target.abs().max() < 1e-4:
        raise _Wrong("the target is the clean batch — that is Noise2Clean; N2N's target is a second noisy copy")
    if (noise_target - noise_in).abs().max() < 1e-4:
        raise _Wrong("input and target carry the same noise: draw a second, independent noise for the target")
    r = torch.corrcoef(torch.stack([noise_in.flatten(), noise_target.flatten()]))[0, 1].item()
    if abs(r) > 0.2:
        raise _Wrong(f"the input's and the target's noise are correlated (r = {r:.2f}): draw them independently")
    _check_noise(noise_target, sigma, "target")
    if run["stale"]:
        raise _Wrong("gradients piled up on older ones: call optimizer.zero_grad() before loss.backward()")
    if not run["moved"]:
        raise _Wrong("the weights did not change: optimizer.zero_grad(), loss.backward(), optimizer.step(), in order")


def _check_noise(noise: Tensor, sigma: float, which: str) -> None:
    """Zero-mean Gaussian noise of std sigma/255 (bands far wider than the sampling error of 3072 values)."""
    std, mean = noise.std().item(), noise.mean().item()
    if abs(std * 255 / sigma - 1) > 0.15:
        raise _Wrong(
            f"the {which}'s noise has σ ≈ {std * 255:.1f}/255, expected {sigma:g}/255: sigma is in 0-255 units, "
            "so the noise is sigma / 255 · torch.randn(...)"
        )
    if abs(mean) > 5 * sigma / 255 / math.sqrt(noise.numel()):
        raise _Wrong(f"the {which}'s noise has mean {mean:+.3f}: Noise2Noise needs zero-mean noise (torch.randn)")


def check_loss_to_psnr(convert: Callable[[float], float]) -> Callable:
    """Notebook 04: ``convert(mse)`` must give the PSNR in dB of images in [0, 1]: 10·log10(1 / mse)."""

    def find_problem(fn: Callable) -> None:
        for mse in (0.01, 0.001, 0.0025, 0.0123):
            got = _call(fn, mse)
            try:
                got = float(got)
            except (TypeError, ValueError):
                raise _Wrong(f"it returned {type(got).__name__}: return a number") from None
            want = 10 * math.log10(1 / mse)
            if _close(got, want, rel=1e-6):
                continue
            slips = {
                "the loss is already squared: 10·log10, not 20·log10": 20 * math.log10(1 / mse),
                "the images are in [0, 1], so the peak is 1, not 255": 10 * math.log10(255**2 / mse),
                "use log10, not the natural logarithm": 10 * math.log(1 / mse),
                "PSNR = 10·log10(peak² / MSE): a smaller loss gives more dB": 10 * math.log10(mse),
            }
            slip = next((s for s, wrong in slips.items() if _close(got, wrong, rel=1e-6)), "PSNR = 10·log10(1 / MSE)")
            raise _Wrong(f"a loss of {mse:g} gave {got:.2f} dB, expected {want:.2f} dB: {slip}")

    return _grade(convert, solutions.loss_to_psnr, find_problem, "10·log10(1 / MSE) for images in [0, 1]")
