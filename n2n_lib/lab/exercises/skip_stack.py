"""Notebook 02's exercise: the U-Net's forward pass with an explicit skip stack, checked block by block."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from n2n_lib.lab import solutions
from n2n_lib.lab.exercises.grading import Wrong, grade
from n2n_lib.model import UNet, UNetConfig

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
    except (NotImplementedError, Wrong):
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
            except Wrong as wrong:
                if config is _SKIP_CONFIGS[0]:
                    raise
                raise Wrong(f"{wrong}; it passes at depth 3: let model.config.depth set the levels") from None

    return grade(
        forward, solutions.unet_forward, find_problem, "same output as model(x) for U-Nets of depth 1, 3 and 4"
    )


def _compare_forward(got, calls: list, expected: Tensor, want: list, where: str) -> None:
    """Raise Wrong at the first block whose input differs from the model's own forward pass."""
    if isinstance(got, _CalledModel):
        raise Wrong("it called model(x) itself: build the pass from model.encoder, model.pool and model.decoder")
    for step, (name, x) in enumerate(calls):
        if step >= len(want):
            raise Wrong(f"{name} ran once too often ({where} U-Net)")
        want_name, want_x = want[step]
        if name != want_name:
            raise Wrong(f"block {step + 1} is {name} but should be {want_name} ({where}): follow the trace above")
        if x.shape != want_x.shape:
            raise Wrong(f"{name} got a {tuple(x.shape)} input, expected {tuple(want_x.shape)} ({where}){_hint(name)}")
        if not torch.allclose(x, want_x, rtol=1e-4, atol=1e-5):
            raise Wrong(f"{name} got the right shape but other values ({where}){_hint(name)}")
    if isinstance(got, BaseException):
        text = str(got).splitlines()[0].rstrip(".") if str(got) else ""
        after = f" after {calls[-1][0]}" if calls else ""
        hint = _hint(want[len(calls)][0]) if len(calls) < len(want) else ""
        raise Wrong(f"it raised {type(got).__name__}{after} ({where}): {text}{hint}")
    if len(calls) < len(want):
        raise Wrong(f"{want[len(calls)][0]} never ran ({where})")
    if not isinstance(got, Tensor) or got.shape != expected.shape:
        shape = tuple(got.shape) if isinstance(got, Tensor) else type(got).__name__
        raise Wrong(f"it returned {shape}, expected a {tuple(expected.shape)} tensor ({where})")
    if not torch.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise Wrong(f"the output differs from model(x) ({where}): return dec_conv1c's output as it is")


def _hint(block: str) -> str:
    if block.startswith("dec_conv") and block.endswith("a"):
        return (
            f" — {block} takes h upsampled ×2 (nearest) and the last skip pushed, in that order on the channel axis: "
            "torch.cat([h, skips.pop()], dim=1)"
        )
    if block.startswith("enc_conv"):
        return " — the encoder pushes the input, then pools after enc_conv1 and after each enc_conv{level}"
    return ""
