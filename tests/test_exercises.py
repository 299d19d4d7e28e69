"""The notebooks' coding exercises: each check passes the reference, names the slip in a wrong answer, runs the
reference in place of an unfilled stub.

A check prints one line (✓, ✗ or "not done yet") and returns the function the notebook goes on with: the student's when
it passes, the reference solution otherwise.
"""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from n2n_lib.lab import solutions
from n2n_lib.lab.exercises import check_annealed_l0, check_loss_to_psnr, check_n2n_step, check_skip_stack
from n2n_lib.metrics import psnr

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

CHECKS = {
    "annealed_l0": (check_annealed_l0, solutions.annealed_l0),
    "unet_forward": (check_skip_stack, solutions.unet_forward),
    "n2n_step": (check_n2n_step, solutions.n2n_step),
    "loss_to_psnr": (check_loss_to_psnr, solutions.loss_to_psnr),
}


def _graded(check, fn, capsys) -> tuple[bool, str]:
    """(whether the check kept `fn`, the line it printed)."""
    kept = check(fn) is fn
    return kept, capsys.readouterr().out.strip()


@pytest.mark.parametrize("name", CHECKS)
def test_the_reference_solution_passes(name, capsys):
    check, reference = CHECKS[name]
    kept, line = _graded(check, reference, capsys)
    assert kept and line.startswith(f"✓ {reference.__name__}: "), line


@pytest.mark.parametrize("name", CHECKS)
def test_an_unfilled_stub_falls_back_to_the_reference(name, capsys):
    check, reference = CHECKS[name]

    def stub(*args):
        raise NotImplementedError("TODO")

    assert check(stub) is reference
    line = capsys.readouterr().out.strip()
    assert line == "· stub: not done yet — running the reference solution so the rest of the notebook works"


def test_a_check_leaves_the_global_random_state_alone(capsys):
    state = torch.random.get_rng_state()
    check_n2n_step(solutions.n2n_step)
    check_skip_stack(solutions.unet_forward)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_wrong_answer_gets_the_reference_and_an_error_naming_the_exception(capsys):
    def broken(loss):
        return torch.log10(loss)  # a float is not a tensor

    kept, line = _graded(check_loss_to_psnr, broken, capsys)
    assert not kept and line.startswith("✗ broken: it raised TypeError")
    assert line.endswith("(the rest of the notebook uses the reference solution until this passes)")


# Notebook 01: the annealed L0 loss.


def _l0(gamma_of, eps=1e-8, reduce=torch.mean):
    def annealed_l0(pred, target, progress):
        return reduce(((pred - target).abs() + eps).pow(gamma_of(progress)))

    return annealed_l0


L0_SLIPS = {
    "no annealing": (_l0(lambda p: 2.0), "γ stays at 2"),
    "annealed backwards": (_l0(lambda p: 2.0 * p), "γ runs backwards"),
    "no floor": (_l0(lambda p: 2.0 * (1 - p)), "γ reached 0"),
    "no eps": (_l0(lambda p: max(2 * (1 - p), 0.01), eps=0.0), "add eps = 1e-8"),
    "sum": (_l0(lambda p: max(2 * (1 - p), 0.01), reduce=torch.sum), "take the mean"),
    "no abs": (lambda pred, target, p: (pred - target + 1e-8).pow(max(2 * (1 - p), 0.01)).mean(), "NaN at progress"),
    "per image": (lambda pred, target, p: solutions.annealed_l0(pred, target, p) * torch.ones(2), "shape (2,)"),
    "detached": (lambda pred, target, p: solutions.annealed_l0(pred.detach(), target, p), "no gradient reaches pred"),
    "float": (lambda pred, target, p: solutions.annealed_l0(pred, target, p).item(), "returned a float"),
}


@pytest.mark.parametrize("slip", L0_SLIPS)
def test_annealed_l0_names_the_slip(slip, capsys):
    fn, message = L0_SLIPS[slip]
    kept, line = _graded(check_annealed_l0, fn, capsys)
    assert not kept and line.startswith("✗ ") and message in line, line


def test_annealed_l0_reference_is_the_library_loss():
    from n2n_lib.losses import annealed_l0_loss

    pred, target = torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4)
    for progress in (0.0, 0.3, 1.0):
        assert torch.allclose(solutions.annealed_l0(pred, target, progress), annealed_l0_loss(pred, target, progress))


# Notebook 02: the skip stack.


def _forward(pop=lambda skips: skips.pop(), cat=lambda h, skip: torch.cat([h, skip], 1), mode="nearest", skip=True):
    """A hand-written U-Net forward pass with one thing changed."""

    def unet_forward(model, x):
        enc, dec, depth = model.encoder, model.decoder, model.config.depth
        skips = [x]
        h = enc["enc_conv1"](enc["enc_conv0"](x))
        for level in range(1, depth + 1):
            if level > 1:
                h = enc[f"enc_conv{level}"](h)
            h = model.pool(h)
            if level < depth:
                skips.append(h)
        h = enc[f"enc_conv{depth + 1}"](h)
        for level in range(depth, 0, -1):
            h = F.interpolate(h, scale_factor=2.0, mode=mode)
            if skip:
                h = cat(h, pop(skips))
            h = dec[f"dec_conv{level}b"](dec[f"dec_conv{level}a"](h))
        return dec["dec_conv1c"](h)

    return unet_forward


SKIP_SLIPS = {
    "no skip connection": (_forward(skip=False), "dec_conv3a got a (2, 24, 4, 6) input, expected (2, 48, 4, 6)"),
    "popped first in, first out": (_forward(pop=lambda skips: skips.pop(0)), "RuntimeError after enc_conv4 (depth 3)"),
    "concatenated the other way round": (
        _forward(cat=lambda h, skip: torch.cat([skip, h], 1)),
        "dec_conv3a got the right shape but other values (depth 3)",
    ),
    "bilinear upsampling": (_forward(mode="bilinear"), "upsampled ×2 (nearest)"),
    "calls the model": (lambda model, x: model(x), "it called model(x) itself"),
    "clamps the output": (lambda model, x: solutions.unet_forward(model, x).clamp(0, 1), "the output differs"),
    "written for depth 3 only": (
        lambda model, x: solutions.unet_forward(model, x) if model.config.depth == 3 else x,
        "(depth 1); it passes at depth 3",
    ),
}


@pytest.mark.parametrize("slip", SKIP_SLIPS)
def test_skip_stack_names_the_slip(slip, capsys):
    fn, message = SKIP_SLIPS[slip]
    kept, line = _graded(check_skip_stack, fn, capsys)
    assert not kept and line.startswith("✗ ") and message in line, line


def test_the_hand_written_forward_passes_as_written_in_the_tests(capsys):
    kept, line = _graded(check_skip_stack, _forward(), capsys)
    assert kept, line


# Notebook 03: one Noise2Noise step.


def _step(target="noisy", same_noise=False, scale=1 / 255, loss="l2", zero_grad=True, step=True, gen=None):
    """A Noise2Noise step with one thing changed."""

    def n2n_step(model, optimizer, clean, sigma, generator):
        g = gen() if gen else generator
        first = torch.randn(clean.shape, generator=g)
        second = first if same_noise else torch.randn(clean.shape, generator=g)
        noisy_input = clean + sigma * scale * first
        noisy_target = {"noisy": clean + sigma * scale * second, "clean": clean, "input": noisy_input}[target]
        residual = model(noisy_input) - noisy_target
        value = {"l2": residual.pow(2).mean(), "sum": residual.pow(2).sum(), "l1": residual.abs().mean()}[loss]
        if zero_grad:
            optimizer.zero_grad()
        value.backward()
        if step:
            optimizer.step()
        return value.item()

    return n2n_step


def _in_place(model, optimizer, clean, sigma, generator):
    target = clean + sigma / 255 * torch.randn(clean.shape, generator=generator)
    clean += sigma / 255 * torch.randn(clean.shape, generator=generator)
    loss = (model(clean) - target).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _forwards_both(model, optimizer, clean, sigma, generator):
    a = clean + sigma / 255 * torch.randn(clean.shape, generator=generator)
    b = clean + sigma / 255 * torch.randn(clean.shape, generator=generator)
    loss = (model(a) - model(b).detach()).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


STEP_SLIPS = {
    "clean target (Noise2Clean)": (_step(target="clean"), "the target is the clean batch"),
    "same noise twice": (_step(same_noise=True), "input and target carry the same noise"),
    "target is the input": (_step(target="input"), "input and target carry the same noise"),
    "sigma not divided by 255": (_step(scale=1.0), "sigma is in 0-255 units"),
    "sum of squares": (_step(loss="sum"), "take the mean"),
    "L1 loss": (_step(loss="l1"), "that is the L1 loss"),
    "no zero_grad": (_step(zero_grad=False), "call optimizer.zero_grad() before loss.backward()"),
    "no optimizer step": (_step(step=False), "the weights did not change"),
    "generator ignored": (_step(gen=lambda: None), "the noise does not come from `generator`"),
    "a fresh generator of its own": (_step(gen=lambda: torch.Generator().manual_seed(0)), "whatever `generator` holds"),
    "clean changed in place": (_in_place, "it changed `clean` in place"),
    "both copies through the model": (_forwards_both, "the model ran 2 times"),
    "no return": (lambda *args: solutions.n2n_step(*args) and None, "return the loss as a number"),
}


@pytest.mark.parametrize("slip", STEP_SLIPS)
def test_n2n_step_names_the_slip(slip, capsys):
    fn, message = STEP_SLIPS[slip]
    kept, line = _graded(check_n2n_step, fn, capsys)
    assert not kept and line.startswith("✗ ") and message in line, line


def test_n2n_step_accepts_add_noise_and_a_tensor_loss(capsys):
    from n2n_lib.noise import add_noise

    def n2n_step(model, optimizer, clean, sigma, generator):
        noisy_input = add_noise(clean, f"gaussian:{sigma}", generator=generator)
        noisy_target = add_noise(clean, f"gaussian:{sigma}", generator=generator)
        loss = torch.nn.functional.mse_loss(model(noisy_input), noisy_target)
        model.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.detach()

    kept, line = _graded(check_n2n_step, n2n_step, capsys)
    assert kept, line


# Notebook 04: the loss column in dB.


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (lambda mse: 20 * math.log10(1 / mse), "10·log10, not 20·log10"),
        (lambda mse: 10 * math.log10(255**2 / mse), "the peak is 1, not 255"),
        (lambda mse: 10 * math.log(1 / mse), "use log10"),
        (lambda mse: 10 * math.log10(mse), "a smaller loss gives more dB"),
        (lambda mse: -mse, "PSNR = 10·log10(1 / MSE)"),
    ],
)
def test_loss_to_psnr_names_the_slip(wrong, message, capsys):
    kept, line = _graded(check_loss_to_psnr, wrong, capsys)
    assert not kept and "a loss of 0.01 gave" in line and message in line, line


def test_loss_to_psnr_agrees_with_the_psnr_of_an_image_with_that_mse():
    clean = torch.full((1, 3, 8, 8), 0.5)
    noisy = clean + 0.1 * torch.sign(torch.randn(1, 3, 8, 8))  # every pixel off by 0.1: MSE 0.01 exactly
    assert solutions.loss_to_psnr(0.01) == pytest.approx(psnr(noisy, clean).item(), abs=1e-4)


# The exercise cells as committed: a stub left unfilled, then a check cell whose line nbval compares.

EXERCISE_NOTEBOOKS = {
    "01_data_preparation": "annealed_l0",
    "02_architecture": "unet_forward",
    "03_training": "n2n_step",
    "04_hyperparameter_tuning": "loss_to_psnr",
}


@pytest.mark.parametrize("notebook", EXERCISE_NOTEBOOKS)
def test_each_notebook_ships_its_stub_unfilled_and_its_check_compared(notebook, capsys):
    import nbformat

    from n2n_lib.lab import exercises
    from n2n_lib.model import UNet

    name = EXERCISE_NOTEBOOKS[notebook]
    cells = nbformat.read(NOTEBOOKS / f"{notebook}.ipynb", as_version=4).cells
    stub = next(c for c in cells if c.cell_type == "code" and c.source.startswith(f"def {name}("))
    check = next(c for c in cells if c.cell_type == "code" and "lab.exercises import" in c.source)
    assert "raise NotImplementedError" in stub.source and "return" not in stub.source  # no solution in sight
    assert "nbval-check-output" in check.metadata.get("tags", [])
    committed = "".join(o.get("text", "") for o in check.outputs)
    assert committed == f"· {name}: not done yet — running the reference solution so the rest of the notebook works\n"

    namespace = {"torch": torch, "UNet": UNet}
    exec(stub.source, namespace)  # the stub as a student first runs it
    check_name = check.source.split("import ")[1].split()[0]
    assert getattr(exercises, check_name)(namespace[name]) is getattr(solutions, name)
    assert capsys.readouterr().out == committed
