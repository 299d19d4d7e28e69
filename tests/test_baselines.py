"""Classical baselines and the baselines table (n2n_lib.baselines, notebook 05)."""

import numpy as np
import pytest
import torch
from PIL import Image
from test_evaluate import Spy  # an identity "model" that records what it was given

from n2n_lib.baselines import CLASSICAL, COLUMNS, NOISY_LABEL, plot_baselines, run_baselines
from n2n_lib.checkpoint import load_model
from n2n_lib.data import embedded_images, to_float
from n2n_lib.errors import InputError
from n2n_lib.evaluate import center_crop, evaluate_folder, noisy_eval_set
from n2n_lib.metrics import psnr
from n2n_lib.noise import add_noise


@pytest.fixture(scope="module")
def photo():
    """A real photo crop (grace_hopper's face, 64×64), clean and with Gaussian σ=25 noise, as float (3, H, W)."""
    clean = center_crop(to_float(embedded_images()["grace_hopper"]), 64)
    noisy = add_noise(clean[None], "gaussian:25", generator=torch.Generator().manual_seed(0))[0]
    return clean, noisy


@pytest.mark.parametrize("key", [k for k in CLASSICAL if k != "bm3d"])
def test_each_classical_method_removes_noise_from_a_photo(photo, key):
    clean, noisy = photo
    label, method = CLASSICAL[key]
    hwc = noisy.permute(1, 2, 0).double().numpy()  # (H, W, 3), the scikit-image layout
    out = method(hwc, 25)
    assert out.shape == hwc.shape and out.dtype == np.float64
    gain = psnr(torch.from_numpy(out).permute(2, 0, 1), clean.double()) - psnr(noisy, clean)
    assert gain > 2, f"{label} gained only {gain:.2f} dB over the noisy input"


def test_bm3d_beats_every_simple_filter_on_a_small_crop(photo):
    clean, noisy = photo
    score = {key: psnr(CLASSICAL[key][1](noisy, 25), clean).item() for key in ("bm3d", "mean", "gaussian_blur")}
    assert score["bm3d"] > psnr(noisy, clean).item() + 6
    assert score["bm3d"] > max(score["mean"], score["gaussian_blur"])


def test_methods_take_tensors_and_arrays_alike(photo):
    _, noisy = photo
    _, method = CLASSICAL["tv"]
    from_tensor = method(noisy, 25)  # (3, H, W) tensor in, tensor out
    from_array = method(noisy.permute(1, 2, 0).numpy(), 25)  # (H, W, 3) array in, array out
    assert isinstance(from_tensor, torch.Tensor) and from_tensor.shape == noisy.shape
    assert np.allclose(from_tensor.permute(1, 2, 0).numpy(), from_array, atol=1e-6)
    with pytest.raises(InputError, match="float"):
        method(np.zeros((8, 8, 3), dtype=np.uint8), 25)


def test_run_baselines_gives_every_method_the_same_noisy_image():
    images = {name: image[:, :48, :64] for name, image in list(embedded_images().items())[:2]}
    spies = {"spy A": Spy(), "spy B": Spy()}
    table = run_baselines(images, sigma=25, seed=3, methods=["mean", "median"], extra=spies, progress=False)

    assert tuple(table.columns) == COLUMNS
    assert list(table["method"]) == [NOISY_LABEL, "mean filter 3×3", "median filter 3×3", "spy A", "spy B"]
    rows = table.set_index("method")
    # A network that returns its input scores what the noisy input scores: it was given that very image (denoise may
    # round it to bf16 on hardware that computes in bf16, hence the tolerance).
    assert rows.loc["spy A", "PSNR"] == rows.loc["spy B", "PSNR"]
    assert rows.loc["spy A", "PSNR"] == pytest.approx(rows.loc[NOISY_LABEL, "PSNR"], abs=0.1)
    assert rows.loc["mean filter 3×3", "PSNR"] > rows.loc[NOISY_LABEL, "PSNR"] + 2
    expected = [noisy for _, _, noisy in noisy_eval_set(images, "gaussian:25", seed=3)]
    assert len(spies["spy A"].seen) == len(spies["spy B"].seen) == 2
    for seen_a, seen_b, noisy in zip(spies["spy A"].seen, spies["spy B"].seen, expected, strict=True):
        assert torch.equal(seen_a, seen_b)
        assert torch.allclose(seen_a.float(), noisy, atol=1 / 64)
    # Same seed, same table (timings aside).
    again = run_baselines(images, sigma=25, seed=3, methods=["mean", "median"], progress=False)
    assert again[["PSNR", "SSIM"]].equals(table[["PSNR", "SSIM"]].iloc[:3])


def test_network_row_matches_the_evaluate_command(tmp_path, tiny_checkpoint):
    images = {name: image[:, :72, :96] for name, image in list(embedded_images().items())[:3]}
    for name, image in images.items():
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(tmp_path / f"{name}.png")
    model, _ = load_model(tiny_checkpoint)
    table = run_baselines(images, sigma=25, seed=0, methods=[], extra={"N2N": model}, progress=False)
    report = evaluate_folder(model, tmp_path, "gaussian:25", seed=0)
    rows = table.set_index("method")
    assert rows.loc["N2N", "PSNR"] == pytest.approx(report["mean_psnr"], abs=0.011)
    assert rows.loc[NOISY_LABEL, "PSNR"] == pytest.approx(report["mean_noisy_psnr"], abs=0.011)


def test_bad_settings_are_refused():
    images = {"a": torch.zeros(3, 40, 50, dtype=torch.uint8)}
    with pytest.raises(InputError, match="crop=64"):
        run_baselines(images, crop=64, progress=False)
    with pytest.raises(InputError, match="unknown baseline method"):
        run_baselines(images, methods=["bm4d"], progress=False)
    with pytest.raises(InputError, match="sigma"):
        run_baselines(images, sigma=0, progress=False)
    with pytest.raises(InputError, match="uint8"):
        run_baselines({"a": torch.zeros(3, 40, 50)}, progress=False)


def test_bar_figure_shows_each_method_with_its_numbers():
    import pandas as pd

    table = pd.DataFrame(
        [(NOISY_LABEL, 20.4, 0.364, 0.0), ("CBM3D", 32.21, 0.903, 1.2), ("N2N", 31.5, 0.88, 0.05)], columns=COLUMNS
    )
    fig = plot_baselines(table)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["N2N", "CBM3D", NOISY_LABEL]
    texts = [t.get_text() for t in ax.texts]
    assert "32.21 dB · SSIM 0.903" in texts and "31.50 dB · SSIM 0.880" in texts
    bars = ax.patches
    assert bars[0].get_facecolor() != bars[1].get_facecolor()  # the network stands out from the classical method
    with pytest.raises(InputError, match="PSNR"):
        plot_baselines(table.drop(columns="PSNR"))
