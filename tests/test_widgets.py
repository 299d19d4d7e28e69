"""The denoising explorer of notebook 05 and the shipped pretrained model it runs by default."""

import datetime
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from n2n_lib.checkpoint import load_model
from n2n_lib.data import to_float
from n2n_lib.errors import InputError
from n2n_lib.evaluate import center_crop, eval_images
from n2n_lib.lab.pretrained import RECIPES
from n2n_lib.metrics import psnr
from n2n_lib.widgets import (
    MAX_UPLOAD_SIDE,
    decode_upload,
    denoise_explorer,
    denoise_upload,
    describe,
    png_bytes,
    renoise_and_denoise,
)

ROOT = Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "checkpoints" / "n2n_gaussian.pt"


@pytest.fixture(scope="module")
def model():
    """The shipped blind Gaussian model (committed; see checkpoints/README.md)."""
    model, _ = load_model(PRETRAINED)
    return model


@pytest.fixture(scope="module")
def kodim23() -> torch.Tensor:
    return center_crop(eval_images()["kodim23"], 256)  # uint8 (3, 256, 256)


def _encode(image: torch.Tensor, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _upload_value(name: str, data: bytes) -> tuple[dict, ...]:
    """What an ipywidgets 8 FileUpload holds after the browser sent one file."""
    stamp = datetime.datetime.now(datetime.timezone.utc)
    return (
        {"name": name, "type": "image/png", "size": len(data), "content": memoryview(data), "last_modified": stamp},
    )


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_shipped_models_are_small_load_safely_and_match_their_recipe(name):
    path = ROOT / "checkpoints" / f"{name}.pt"
    assert path.stat().st_size <= 10 * 2**20, "each committed model must stay under 10 MB"
    model, ckpt = load_model(path)  # weights_only inside
    recipe = RECIPES[name]
    assert ckpt["model_config"] == recipe.model.to_dict()
    assert ckpt["train_config"] == recipe.train.to_dict()  # its noise range, targets and budget
    assert ckpt["data"]["source"] == recipe.photos and ckpt["data"]["crop"] == recipe.crop
    history = ckpt["history"]
    assert len(history["val_psnr"]) == recipe.train.epochs  # trained to the end, not shipped half-way
    assert ckpt["val_psnr"] == max(history["val_psnr"])


def test_committed_weights_stay_under_40_mb():
    total = sum(path.stat().st_size for path in (ROOT / "checkpoints").glob("*.pt") if path.stem in RECIPES)
    assert total <= 40 * 2**20


def test_center_crop_takes_the_middle_and_keeps_short_sides():
    image = torch.arange(3 * 10 * 6, dtype=torch.uint8).reshape(3, 10, 6)
    crop = center_crop(image, 4)
    assert crop.shape == (3, 4, 4)
    assert torch.equal(crop, image[:, 3:7, 1:5])
    assert center_crop(image, 8).shape == (3, 8, 6)  # width 6 < 8 is kept whole


def test_noisy_psnr_matches_theory_and_falls_as_sigma_rises(model, kodim23):
    grey = torch.full((3, 128, 128), 128, dtype=torch.uint8)  # far from 0 and 255: clipping does not bite at σ=25
    r = renoise_and_denoise(model, grey, 25, seed=0)
    assert r["noisy_psnr"] == pytest.approx(20 * math.log10(255 / 25), abs=0.05)  # 20.17 dB

    sigmas = [0, 5, 15, 25, 50, 75]
    noisy = [renoise_and_denoise(model, kodim23, s, seed=0)["noisy_psnr"] for s in sigmas]
    assert math.isinf(noisy[0])  # σ = 0: the noisy image is the clean one
    assert all(a > b for a, b in zip(noisy, noisy[1:], strict=False)), noisy


def test_same_seed_same_noise_and_sigma_only_scales_it(model, kodim23):
    a = renoise_and_denoise(model, kodim23, 25, seed=3)
    b = renoise_and_denoise(model, kodim23, 25, seed=3)
    c = renoise_and_denoise(model, kodim23, 25, seed=4)
    assert torch.equal(a["noisy"], b["noisy"]) and torch.equal(a["denoised"], b["denoised"])
    assert not torch.equal(a["noisy"], c["noisy"])
    # Moving the slider rescales one noise pattern: its direction at σ=10 and σ=40 is the same (before clipping).
    lo, hi = (to_float(renoise_and_denoise(model, kodim23, s, seed=3)["noisy"]) - to_float(kodim23) for s in (10, 40))
    mask = (to_float(kodim23) > 0.25) & (to_float(kodim23) < 0.75)  # pixels where σ=40 rarely clips
    agree = (torch.sign(lo[mask]) == torch.sign(hi[mask])).float().mean().item()
    assert agree > 0.95


def test_pretrained_model_removes_most_of_the_noise_at_sigma_25(model, kodim23):
    r = renoise_and_denoise(model, kodim23, 25, seed=0)
    assert r["noisy"].shape == r["denoised"].shape == r["clean"].shape == (3, 256, 256)
    assert r["denoised"].dtype == torch.uint8
    assert r["denoised_psnr"] > r["noisy_psnr"] + 6, (
        r["noisy_psnr"],
        r["denoised_psnr"],
    )  # about 20 dB in, well over 26 dB out
    # The reported PSNR is that of the image shown (uint8) to within rounding.
    shown = psnr(to_float(r["denoised"]), to_float(kodim23)).item()
    assert shown == pytest.approx(r["denoised_psnr"], abs=0.05)


def test_describe_shows_sigma_and_both_psnrs(model, kodim23):
    text = describe(renoise_and_denoise(model, kodim23, 25, seed=0))
    assert re.fullmatch(r"σ = 25 · noisy \d+\.\d\d dB · denoised \d+\.\d\d dB", text), text
    assert describe(renoise_and_denoise(model, kodim23, 0, seed=0)).startswith("σ = 0 · noisy ∞ dB")


def test_bad_sigma_and_bad_images_are_refused_with_the_fix(model, kodim23):
    with pytest.raises(InputError, match="sigma=300 is outside 0-255"):
        renoise_and_denoise(model, kodim23, 300)
    with pytest.raises(InputError, match="uint8"):
        renoise_and_denoise(model, to_float(kodim23), 25)
    with pytest.raises(InputError, match="images is empty"):
        denoise_explorer(model, {})


def test_uploaded_png_is_denoised_as_it_is(model, kodim23):
    noisy = renoise_and_denoise(model, kodim23, 25, seed=1)["noisy"]  # a user's noisy photo, saved as PNG
    r = denoise_upload(model, _encode(noisy, "PNG"), "my photo.png")
    assert torch.equal(r["noisy"], noisy)  # PNG is lossless and nothing was added
    assert not r["cropped"]
    assert psnr(to_float(r["denoised"]), to_float(kodim23)) > psnr(to_float(noisy), to_float(kodim23)) + 5
    assert describe(r) == "my photo.png denoised as uploaded, 256×256 · no clean image, so no PSNR"


def test_uploaded_jpeg_and_grey_png_are_read_as_rgb():
    colour = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (3, 40, 50), dtype=np.uint8))
    assert decode_upload(_encode(colour, "JPEG", quality=95), "photo.JPG").shape == (3, 40, 50)
    grey = Image.fromarray(np.full((30, 20), 200, np.uint8), mode="L")
    buffer = io.BytesIO()
    grey.save(buffer, format="PNG")
    decoded = decode_upload(buffer.getvalue(), "scan.png")
    assert decoded.shape == (3, 30, 20) and int(decoded.min()) == int(decoded.max()) == 200


def test_large_upload_is_center_cropped(model):
    big = torch.zeros(3, 60, MAX_UPLOAD_SIDE + 100, dtype=torch.uint8)
    big[:, :, 50 : 50 + MAX_UPLOAD_SIDE] = 255  # the middle band is white, the 50-px margins black
    r = denoise_upload(model, _encode(big, "PNG"), "wide.png")
    assert r["cropped"] and r["noisy"].shape == (3, 60, MAX_UPLOAD_SIDE)
    assert int(r["noisy"].min()) == 255  # exactly the white band: the crop is centred
    assert "centre" in describe(r)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"hello", "not a PNG or JPEG file"),
        ("empty.png", b"", "is empty"),
        ("fake.png", b"this is not an image", "cannot be read as an image"),
        ("cut.png", None, "cannot be read as an image"),  # a real PNG cut in half
    ],
)
def test_bad_uploads_name_the_file_and_the_fix(model, kodim23, name, data, message):
    data = _encode(kodim23, "PNG")[:2000] if data is None else data
    with pytest.raises(InputError, match=message) as info:
        denoise_upload(model, data, name)
    assert repr(name) in str(info.value)
    assert "/tmp" not in str(info.value)  # the temporary file the bytes went through is not the user's business


def test_explorer_updates_the_label_and_pictures_when_controls_change(model):
    images = {name: image for name, image in eval_images().items() if name in ("kodim23", "monarch")}
    panel = denoise_explorer(model, images, sigma=25, seed=0)
    c = panel.controls
    assert c["image"].options == ("kodim23", "monarch")
    assert (c["sigma"].min, c["sigma"].max, c["sigma"].value) == (0, 75, 25)
    first = c["status"].value
    assert first.startswith("σ = 25 · noisy") and len(c["panels"][0].value) > 1000  # a PNG is shown
    noisy_png = c["panels"][0].value

    c["sigma"].value = 50  # what a keyboard or mouse move sends from the browser
    assert c["status"].value.startswith("σ = 50 · noisy") and c["status"].value != first
    assert c["panels"][0].value != noisy_png
    at_50 = c["status"].value

    c["image"].value = "monarch"
    assert c["status"].value.startswith("σ = 50") and c["status"].value != at_50


def test_explorer_uploads_join_the_list_and_bad_files_show_a_message(model, kodim23):
    panel = denoise_explorer(model, {"kodim23": kodim23})
    c = panel.controls
    c["upload"].value = _upload_value("mine.png", _encode(kodim23, "PNG"))
    assert c["image"].value == "upload: mine.png" and "upload: mine.png" in c["image"].options
    assert c["status"].value.startswith("mine.png denoised as uploaded")
    assert c["sigma"].disabled  # σ means nothing for an image that is already noisy
    assert c["panels"][2].layout.display == "none"  # no clean panel

    c["upload"].value = _upload_value("broken.png", b"\x89PNG\r\n\x1a\n garbage")
    assert "upload 'broken.png' cannot be read as an image" in c["status"].value
    assert "Traceback" not in c["status"].value

    c["image"].value = "kodim23"  # back to a clean image: σ works again
    assert not c["sigma"].disabled and c["status"].value.startswith("σ = 25")
    assert c["panels"][2].layout.display is None


def test_png_bytes_round_trip(kodim23):
    decoded = decode_upload(png_bytes(kodim23), "x.png")
    assert torch.equal(decoded, kodim23)
