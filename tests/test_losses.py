"""Losses and the loss each noise model gets by default (n2n_lib.losses)."""

import pytest
import torch

from n2n_lib.errors import InputError
from n2n_lib.losses import (
    DEFAULT_LOSS,
    LOSSES,
    annealed_l0_loss,
    default_loss,
    get_loss,
    l0_gamma,
    l1_loss,
    l2_loss,
)
from n2n_lib.noise import NOISE_KINDS, parse_noise

PRED = torch.tensor([[0.0, 0.5], [1.0, 0.25]])
TARGET = torch.tensor([[0.5, 0.5], [0.0, 1.0]])  # residuals 0.5, 0, 1, 0.75


def test_l2_and_l1_match_hand_computed_values():
    assert l2_loss(PRED, TARGET).item() == pytest.approx((0.25 + 0 + 1 + 0.5625) / 4)
    assert l1_loss(PRED, TARGET).item() == pytest.approx((0.5 + 0 + 1 + 0.75) / 4)
    assert l2_loss(PRED, TARGET).ndim == 0


def test_l0_gamma_anneals_from_two_to_a_positive_floor():
    assert l0_gamma(0.0) == 2.0
    assert l0_gamma(0.5) == pytest.approx(1.0)
    assert 0 < l0_gamma(1.0) <= 0.02
    assert l0_gamma(2.0) == l0_gamma(1.0) and l0_gamma(-1.0) == 2.0


def test_l0_at_start_is_l2():
    assert annealed_l0_loss(PRED, TARGET, progress=0.0).item() == pytest.approx(l2_loss(PRED, TARGET).item(), abs=1e-6)
    assert annealed_l0_loss(PRED, TARGET, progress=0.5).item() == pytest.approx(l1_loss(PRED, TARGET).item(), abs=1e-6)


def test_l0_near_the_end_counts_nonzero_residuals():
    target = torch.zeros(10)
    # Four small residuals cost more than three huge ones: mostly, how many residuals are non-zero matters.
    four_small = torch.tensor([0.05] * 4 + [0.0] * 6)
    three_big = torch.tensor([1.0] * 3 + [0.0] * 7)
    assert l2_loss(four_small, target) < l2_loss(three_big, target)
    assert annealed_l0_loss(three_big, target, 1.0) < annealed_l0_loss(four_small, target, 1.0)


def grid_minimiser(loss, target: torch.Tensor) -> float:
    """The constant prediction in [0, 1] (step 0.005) with the lowest loss."""
    grid = torch.linspace(0, 1, 201)
    losses = torch.stack([loss(torch.full_like(target, c.item()), target) for c in grid])
    return grid[losses.argmin()].item()


def test_losses_seek_mean_median_and_mode():
    # 30 % of the targets sit at the mode 0.2; the rest are spread over [0.4, 1] (like random-valued impulses).
    target = torch.cat([torch.full((30,), 0.2), torch.linspace(0.4, 1.0, 70)])
    assert target.mean().item() == pytest.approx(0.55)  # mean 0.55, median ≈ 0.57, mode 0.2
    assert grid_minimiser(l2_loss, target) == pytest.approx(target.mean().item(), abs=0.005)
    assert grid_minimiser(l1_loss, target) == pytest.approx(target.median().item(), abs=0.01)
    assert grid_minimiser(lambda p, t: annealed_l0_loss(p, t, 0.0), target) == pytest.approx(0.55, abs=0.005)
    assert grid_minimiser(lambda p, t: annealed_l0_loss(p, t, 1.0), target) == pytest.approx(0.2, abs=1e-6)


def test_l0_gradients_stay_finite_and_nonzero_at_the_end():
    pred = torch.tensor([0.3, 0.5, 0.7], requires_grad=True)
    annealed_l0_loss(pred, torch.tensor([0.3, 0.2, 0.9]), progress=1.0).backward()
    assert torch.isfinite(pred.grad).all()
    assert pred.grad[1] > 0 and pred.grad[2] < 0  # still pulls towards the target


@pytest.mark.parametrize("name", LOSSES)
def test_get_loss_has_a_uniform_signature(name):
    loss = get_loss(name)
    value = loss(PRED, TARGET, 0.0)
    assert value.ndim == 0
    assert get_loss(name.upper())(PRED, TARGET, 0.0) == value


def test_unknown_loss_names_the_choices():
    with pytest.raises(InputError, match=r"'huber'.*l2, l1, l0"):
        get_loss("huber")


def test_default_loss_follows_the_paper():
    assert default_loss("gaussian:25") == "l2"
    assert default_loss("poisson:5-50") == "l2"
    assert default_loss("bernoulli:0.5") == "l2_masked"
    assert default_loss("text:0.25") == "l1"
    assert default_loss(parse_noise("impulse:0.3")) == "l0"
    assert set(DEFAULT_LOSS) == set(NOISE_KINDS) and set(DEFAULT_LOSS.values()) <= set(LOSSES)
    with pytest.raises(InputError):
        default_loss("blur:3")


def test_masked_l2_learns_the_clean_value_under_bernoulli_drops():
    from n2n_lib.noise import add_noise

    gen = torch.Generator().manual_seed(0)
    clean = torch.full((64, 3, 16, 16), 0.6)
    target = add_noise(clean, "bernoulli:0.5", generator=gen)
    grid = torch.linspace(0, 1, 101)
    best_masked = grid[
        torch.stack([get_loss("l2_masked")(torch.full_like(clean, g), target, 0.0) for g in grid]).argmin()
    ]
    best_plain = grid[torch.stack([get_loss("l2")(torch.full_like(clean, g), target, 0.0) for g in grid]).argmin()]
    assert best_masked.item() == pytest.approx(0.6, abs=0.011)  # the clean value
    assert best_plain.item() == pytest.approx(0.3, abs=0.03)  # plain L2 learns the biased mean (1 - p)·x
