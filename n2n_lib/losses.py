"""Training losses and the loss that matches each noise model (taught in notebook ``03_training``).

Noise2Noise trains on noisy targets, so the loss decides which statistic of the noisy targets the network learns:
L2 finds the mean (right for zero-mean Gaussian and Poisson noise, and for Bernoulli noise once the dropped target
pixels are left out of the loss, as the paper does), L1 the median (right for text, which covers less than half of the
pixels), and annealed "L0" the mode (right for random-valued impulses, where the clean value is the most frequent one).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from n2n_lib.errors import InputError
from n2n_lib.noise import NoiseSpec, parse_noise

LOSSES = ("l2", "l1", "l0", "l2_masked")

# The paper's matching losses: mean-seeking L2 for zero-mean noise, L2 over the pixels the target kept for Bernoulli
# drops, median-seeking L1 for text, mode-seeking L0 for impulses.
DEFAULT_LOSS = {"gaussian": "l2", "poisson": "l2", "bernoulli": "l2_masked", "impulse": "l0", "text": "l1"}

# At gamma = 0 the L0 loss is the constant 1 and every gradient vanishes, so the last steps of training would learn
# nothing. For small gamma, (|d| + eps)^gamma ≈ 1 + gamma · log(|d| + eps): the floor keeps that (already mode-seeking)
# log-shaped loss with gradients about 1 % of their size at gamma = 1.
GAMMA_MIN = 1e-2


def l2_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean squared error over all elements, a scalar. pred, target: same shape."""
    return (pred - target).pow(2).mean()


def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error over all elements, a scalar. pred, target: same shape."""
    return (pred - target).abs().mean()


def masked_l2_loss(pred: Tensor, target: Tensor) -> Tensor:
    """L2 over the pixels the target kept, for multiplicative Bernoulli noise (Lehtinen et al. 2018, Sec. 3.2).

    pred, target: (B, C, H, W). A target pixel whose channels are all exactly 0 counts as dropped and is left out,
    so the network learns the clean value x rather than the biased mean (1 - p)·x. A truly black target pixel is
    left out too; such pixels are rare in photos, and their neighbours still teach the network what is there.
    """
    kept = (target.amax(dim=1, keepdim=True) > 0).to(pred.dtype)  # (B, 1, H, W)
    sq = (pred - target).pow(2) * kept
    return sq.sum() / (kept.sum() * pred.shape[1]).clamp(min=1)


def l0_gamma(progress: float) -> float:
    """Exponent of the annealed L0 loss: 2 at the start of training, falling linearly to GAMMA_MIN at the end."""
    progress = min(max(progress, 0.0), 1.0)
    return max(2.0 * (1.0 - progress), GAMMA_MIN)


def annealed_l0_loss(pred: Tensor, target: Tensor, progress: float, eps: float = 1e-8) -> Tensor:
    """Annealed approximation of the L0 "loss", a scalar (Lehtinen et al., Noise2Noise, ICML 2018, Sec. 3.3).

    mean((|pred - target| + eps)^gamma), with gamma annealed linearly from 2 (L2-like) to 0 (counts non-zero
    residuals, so it finds the mode) over training. progress in [0, 1] is the fraction of training done; gamma stops at
    GAMMA_MIN > 0 so gradients do not vanish. eps keeps the power finite and differentiable at zero residual.
    """
    return ((pred - target).abs() + eps).pow(l0_gamma(progress)).mean()


def _l2(pred: Tensor, target: Tensor, progress: float = 0.0) -> Tensor:
    return l2_loss(pred, target)


def _l1(pred: Tensor, target: Tensor, progress: float = 0.0) -> Tensor:
    return l1_loss(pred, target)


def _l0(pred: Tensor, target: Tensor, progress: float = 0.0) -> Tensor:
    return annealed_l0_loss(pred, target, progress)


def _l2_masked(pred: Tensor, target: Tensor, progress: float = 0.0) -> Tensor:
    return masked_l2_loss(pred, target)


# Module-level functions rather than lambdas so a chosen loss can be pickled (e.g. into Ray Tune workers).
_BY_NAME = {"l2": _l2, "l1": _l1, "l0": _l0, "l2_masked": _l2_masked}


def get_loss(name: str) -> Callable[[Tensor, Tensor, float], Tensor]:
    """Loss by name (one of LOSSES) as ``loss(pred, target, progress) -> scalar``; only L0 uses `progress`."""
    loss = _BY_NAME.get(str(name).lower())
    if loss is None:
        raise InputError(f"unknown loss {name!r}; use one of {', '.join(LOSSES)}")
    return loss


def default_loss(noise: str | NoiseSpec) -> str:
    """The loss the paper pairs with a noise model, e.g. ``default_loss("impulse:0.3") == "l0"``."""
    return DEFAULT_LOSS[parse_noise(noise).kind]
