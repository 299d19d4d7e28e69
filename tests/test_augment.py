"""Batch augmentation: flips shared by source, target and clean; swaps; colour jitter; determinism."""

from __future__ import annotations

import pytest
import torch

from n2n_lib.augment import AugmentConfig, augment
from n2n_lib.errors import InputError

FLIPS_ONLY = AugmentConfig(flips=True, swap=False, color=False)
SWAP_ONLY = AugmentConfig(flips=False, swap=True, color=False)
COLOUR_ONLY = AugmentConfig(flips=False, swap=False, color=True, brightness=0.5, hue=0.5)
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _batch(b: int = 64, seed: int = 0, device: str = "cpu") -> torch.Tensor:
    return torch.rand(b, 3, 8, 8, generator=torch.Generator().manual_seed(seed)).to(device)


def _gen(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def test_no_op_config_is_identity():
    source, target, clean = _batch(seed=1), _batch(seed=2), _batch(seed=3)
    off = AugmentConfig(flips=False, swap=False, color=False)
    out = augment(source, target, off, _gen(0), clean=clean)
    assert all(torch.equal(a, b) for a, b in zip(out, (source, target, clean), strict=True))
    assert augment(source, target, off)[2] is None


def test_flips_are_the_same_for_source_target_and_clean():
    source = _batch()
    out_source, out_target, out_clean = augment(source, source + 1, FLIPS_ONLY, _gen(0), clean=source + 2)
    assert torch.equal(out_target, out_source + 1) and torch.equal(out_clean, out_source + 2)
    kinds = []
    for before, after in zip(source, out_source, strict=True):
        flips = [before, before.flip(-1), before.flip(-2), before.flip(-1, -2)]
        kinds.append(next(i for i, f in enumerate(flips) if torch.equal(f, after)))
    assert set(kinds) == {0, 1, 2, 3}  # all four flip combinations occur in 64 samples


def test_swap_exchanges_exactly_the_swapped_samples():
    ids = torch.arange(64, dtype=torch.float32).view(-1, 1, 1, 1)
    source, target, clean = ids.expand(64, 3, 8, 8), (1000 + ids).expand(64, 3, 8, 8), _batch()
    out_source, out_target, out_clean = augment(source, target, SWAP_ONLY, _gen(5), clean=clean)
    swapped = out_source[:, 0, 0, 0] >= 1000  # (B,)
    assert 10 < int(swapped.sum()) < 54
    assert torch.equal(out_source[swapped], target[swapped]) and torch.equal(out_target[swapped], source[swapped])
    assert torch.equal(out_source[~swapped], source[~swapped]) and torch.equal(out_target[~swapped], target[~swapped])
    assert torch.equal(out_clean, clean)


@pytest.mark.parametrize("device", DEVICES)
def test_same_seed_same_augmentation(device):
    config = AugmentConfig(flips=True, swap=True, color=True)
    source, target, clean = _batch(seed=1, device=device), _batch(seed=2, device=device), _batch(seed=3, device=device)
    first = augment(source, target, config, _gen(7, device), clean=clean)
    second = augment(source, target, config, _gen(7, device), clean=clean)
    other = augment(source, target, config, _gen(8, device), clean=clean)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert not torch.equal(first[0], other[0])


def test_colour_jitter_keeps_range_and_is_shared():
    x = _batch(256)
    x[:, :, 0, 0] = 0.0  # include the corners of the colour cube
    x[:, :, 0, 1] = 1.0
    out_source, out_target, out_clean = augment(x, x.clone(), COLOUR_ONLY, _gen(0), clean=x.clone())
    assert out_source.min() >= 0 and out_source.max() <= 1
    assert torch.equal(out_source, out_target) and torch.equal(out_source, out_clean)
    assert (out_source - x).abs().max() > 0.1  # it did change the colours
    grey = x.mean(1, keepdim=True).expand_as(x).contiguous()
    out_grey = augment(grey, grey, COLOUR_ONLY, _gen(0))[0]
    assert torch.allclose(out_grey, out_grey.mean(1, keepdim=True).expand_as(out_grey), atol=1e-6)  # grey stays grey


def test_colour_jitter_is_affine_so_noise_is_not_clipped():
    clean = _batch(128)
    noise = 0.3 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
    noisy, noise_free, _ = augment(clean + noise, clean, COLOUR_ONLY, _gen(2))
    assert noisy.min() < 0 and noisy.max() > 1  # unclipped noise stays unclipped
    jittered_noise = noisy - noise_free  # an affine map sends noise to M·noise, still zero-mean
    assert abs(jittered_noise.mean().item()) < 0.01


def test_mismatched_shapes_are_refused():
    with pytest.raises(InputError, match="shape"):
        augment(_batch(4), _batch(5), AugmentConfig())
