"""PSNR against scikit-image; SSIM sanity."""

import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from n2n_lib.metrics import psnr, ssim


def test_psnr_matches_scikit_image_per_image_and_batch_mean():
    gen = torch.Generator().manual_seed(0)
    clean = torch.rand(4, 3, 32, 32, generator=gen)
    noisy = (clean + 0.1 * torch.randn(4, 3, 32, 32, generator=gen)).clamp(0, 1)
    expected = [peak_signal_noise_ratio(c.double().numpy(), n.double().numpy(), data_range=1.0)
                for c, n in zip(clean, noisy, strict=True)]  # fmt: skip
    per_image = psnr(noisy, clean, reduction="none")
    assert per_image.shape == (4,)
    np.testing.assert_allclose(per_image.numpy(), expected, atol=1e-4)
    assert abs(psnr(noisy, clean).item() - float(np.mean(expected))) < 1e-4


def test_psnr_of_a_known_error_and_identical_images():
    clean = torch.full((1, 3, 8, 8), 0.5)
    assert psnr(clean + 0.1, clean).item() == pytest.approx(20.0, abs=1e-4)  # MSE 0.01 → 20 dB
    assert math.isinf(psnr(clean, clean).item())


def test_psnr_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))


def test_ssim_is_one_for_identical_and_drops_with_noise():
    gen = torch.Generator().manual_seed(1)
    clean = torch.rand(2, 3, 32, 32, generator=gen)
    noisy = (clean + 0.2 * torch.randn(2, 3, 32, 32, generator=gen)).clamp(0, 1)
    assert ssim(clean, clean).item() == pytest.approx(1.0, abs=1e-6)
    values = ssim(noisy, clean, reduction="none")
    assert values.shape == (2,)
    assert (values < 0.9).all()
