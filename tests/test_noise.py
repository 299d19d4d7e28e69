"""Noise specs and noise models: parsing, statistics, reproducibility (n2n_lib.noise)."""

import pytest
import torch

from n2n_lib.errors import InputError
from n2n_lib.noise import NOISE_KINDS, NoiseSpec, add_noise, noise_level_label, parse_noise

SPECS = ["gaussian:25", "poisson:30", "bernoulli:0.5", "impulse:0.3", "text:0.25"]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def gen(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def images(b: int = 8, c: int = 3, h: int = 32, w: int = 32, device: str = "cpu") -> torch.Tensor:
    return torch.rand(b, c, h, w, generator=gen(123), dtype=torch.float32).to(device)


def changed(noisy: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Fraction of pixels (any channel) that the noise changed, per image: (B,)."""
    return (noisy != clean).any(1).flatten(1).float().mean(1)


@pytest.mark.parametrize(
    "text", ["gaussian:25", "gaussian:0-50", "poisson:30", "poisson:5-50", "bernoulli:0.5", "impulse:0.3", "text:0.25"]
)
def test_spec_round_trips(text):
    spec = parse_noise(text)
    assert str(spec) == text
    assert parse_noise(str(spec)) == spec
    assert parse_noise(spec) is spec


def test_spec_fields_and_fixed():
    assert parse_noise("gaussian:0-50") == NoiseSpec("gaussian", 0.0, 50.0)
    assert not parse_noise("gaussian:0-50").is_fixed
    assert parse_noise("gaussian:25").is_fixed
    assert parse_noise(" Gaussian : 25 ") == NoiseSpec("gaussian", 25.0, 25.0)
    assert parse_noise("impulse:1") == NoiseSpec("impulse", 1.0, 1.0)


@pytest.mark.parametrize(
    "bad, hint",
    [
        ("gauss:25", "poisson"),  # unknown kind: the message lists the kinds
        ("gaussian25", "kind:value"),  # no colon
        ("gaussian:", "gaussian:25"),  # no value
        ("gaussian:abc", "gaussian:25"),  # not a number
        ("gaussian:-5", "gaussian:25"),  # negative
        ("gaussian:1-2-3", "gaussian:25"),
        ("gaussian:50-0", "low <= high"),
        ("gaussian:300", "0 <= σ <= 255"),
        ("poisson:0", "λ > 0"),
        ("bernoulli:1", "0 <= p < 1"),
        ("impulse:1.5", "0 <= p <= 1"),
        ("text:0.2-1", "0 <= p < 1"),
    ],
)
def test_bad_specs_name_the_spec_and_the_fix(bad, hint):
    with pytest.raises(InputError) as err:
        parse_noise(bad)
    assert repr(bad) in str(err.value)
    assert hint in str(err.value)


def test_bad_spec_objects_and_inputs():
    with pytest.raises(InputError, match="unknown kind"):
        NoiseSpec("blur", 1, 1)
    with pytest.raises(InputError, match="must be a string"):
        parse_noise(25)
    with pytest.raises(InputError, match=r"\(B, C, H, W\)"):
        add_noise(torch.rand(3, 8, 8), "gaussian:25")
    if torch.cuda.is_available():
        with pytest.raises(InputError, match="generator"):
            add_noise(torch.rand(1, 3, 8, 8), "gaussian:25", gen(0, "cuda"))


def test_labels():
    assert noise_level_label("gaussian:25") == "Gaussian σ=25"
    assert noise_level_label("poisson:30") == "Poisson λ=30"
    assert noise_level_label("bernoulli:0.5") == "Bernoulli p=0.5"
    assert noise_level_label("gaussian:0-50") == "Gaussian σ∈[0,50]"


def test_gaussian_std_matches_sigma():
    clean = torch.full((4, 3, 128, 128), 0.5)
    noise = add_noise(clean, "gaussian:25", gen(0)) - clean
    assert noise.mean().item() == pytest.approx(0, abs=2e-3)
    assert noise.std().item() == pytest.approx(25 / 255, rel=0.01)


def test_range_spec_draws_a_parameter_per_image():
    clean = torch.full((16, 1, 64, 64), 0.5)
    std = (add_noise(clean, "gaussian:0-50", gen(0)) - clean).flatten(1).std(1) * 255  # (B,) ≈ each image's σ
    assert std.min() >= 0 and std.max() <= 51
    assert std.max() - std.min() > 20
    assert len(set(std.round().tolist())) > 10
    dropped = 1 - changed(torch.zeros_like(clean), add_noise(clean, "bernoulli:0.1-0.9", gen(0)))
    assert dropped.max() - dropped.min() > 0.3


def test_poisson_mean_and_variance_on_a_constant_image():
    x, lam = 0.4, 30.0
    noisy = add_noise(torch.full((4, 3, 128, 128), x), f"poisson:{lam:g}", gen(0))
    assert noisy.mean().item() == pytest.approx(x, rel=0.01)
    assert noisy.var().item() == pytest.approx(x / lam, rel=0.03)


@pytest.mark.parametrize("kind", ["bernoulli", "impulse"])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_fraction_of_corrupted_pixels_matches_p(kind, p):
    clean = images(16, 3, 64, 64) * 0.9 + 0.05  # no exact zeros, so a dropped pixel is always visible
    noisy = add_noise(clean, f"{kind}:{p}", gen(1))
    assert changed(noisy, clean).mean().item() == pytest.approx(p, abs=0.01)
    if kind == "bernoulli":  # all channels of a pixel are dropped together, and nothing is rescaled
        dropped = (noisy == 0).all(1)
        assert torch.equal(dropped, (noisy != clean).any(1))
        assert torch.equal(noisy[~dropped[:, None].expand_as(noisy)], clean[~dropped[:, None].expand_as(noisy)])


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("p", [0.1, 0.25, 0.5])
def test_text_coverage_matches_p(size, p):
    clean = images(32, 3, size, size)
    coverage = changed(add_noise(clean, f"text:{p}", gen(2)), clean)
    assert coverage.mean().item() == pytest.approx(p, abs=0.05)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("spec", SPECS + ["gaussian:0-50", "text:0.1-0.5"])
def test_same_seed_same_noise_different_seed_different(spec, device):
    clean = images(device=device)
    a, b, c = (add_noise(clean, spec, gen(s, device)) for s in (7, 7, 8))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_shape_dtype_device_preserved_and_clip(device, spec, dtype):
    clean = images(2, 3, 16, 24, device=device).to(dtype)
    noisy = add_noise(clean, spec, gen(0, device))
    assert noisy.shape == clean.shape and noisy.dtype == dtype and noisy.device == clean.device
    clipped = add_noise(clean, spec, gen(0, device), clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1
    assert torch.equal(clipped, noisy.clamp(0, 1))


def test_gaussian_is_unclipped_by_default():
    noisy = add_noise(torch.zeros(1, 1, 32, 32), "gaussian:25", gen(0))
    assert noisy.min() < 0  # clipping would bias the zero-mean noise that Noise2Noise relies on


def test_zero_noise_leaves_images_unchanged():
    clean = images(2)
    for spec in ["gaussian:0", "bernoulli:0", "impulse:0", "text:0"]:
        assert torch.equal(add_noise(clean, spec, gen(0)), clean)


def test_all_kinds_covered():
    assert {s.split(":")[0] for s in SPECS} == set(NOISE_KINDS)
