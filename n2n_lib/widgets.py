"""Interactive denoising explorer: a σ slider, an image picker and an upload box around a trained model.

Used in notebook ``05_results``. The widget only wires controls to the pure functions here, which tests call directly:

- `renoise_and_denoise` adds Gaussian noise of a given σ to a clean image and denoises it, with both PSNRs;
- `decode_upload` / `denoise_upload` read a user's PNG or JPEG and denoise it as it is (taken to be noisy already);
- `describe` writes the one-line summary the widget shows ("σ = 25 · noisy 20.30 dB · denoised 28.10 dB").

For interactivity the explorer works on a centre crop (256×256 by default) of each image; uploads larger than
`MAX_UPLOAD_SIDE` pixels a side are centre-cropped too, so that a phone photo does not exhaust a laptop's memory
(``python -m n2n_lib denoise`` processes whole images).
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor, nn

from n2n_lib.data import read_image, to_float, to_uint8
from n2n_lib.errors import InputError
from n2n_lib.evaluate import center_crop
from n2n_lib.inference import denoise
from n2n_lib.metrics import psnr
from n2n_lib.noise import NoiseSpec, add_noise

SIGMA_MAX = 75.0  # slider range, 0-255 units; the shipped model was trained on σ ∈ [0, 50]
CROP = 256  # side of the centre crop the slider works on
MAX_UPLOAD_SIDE = 1024  # larger uploads are centre-cropped to this side
UPLOAD_SUFFIXES = (".png", ".jpg", ".jpeg")
UPLOAD_PREFIX = "upload: "  # dropdown entries that came from the upload box


def png_bytes(image: Tensor) -> bytes:
    """Encode uint8 (3, H, W) as PNG bytes (for an ``ipywidgets.Image``)."""
    buffer = io.BytesIO()
    Image.fromarray(image.permute(1, 2, 0).contiguous().numpy()).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def renoise_and_denoise(model: nn.Module, clean: Tensor, sigma: float, seed: int = 0) -> dict:
    """Add Gaussian noise of std `sigma` (0-255 units) to `clean`, denoise it with `model`, and measure both.

    clean: uint8 (3, H, W). The noise pattern depends only on `seed` and the image size; `sigma` scales it, so moving
    a slider changes the amount of the same noise rather than drawing new noise. Returns a dict with ``noisy``,
    ``denoised`` and ``clean`` as uint8 (3, H, W) (the noisy image clipped to [0, 255] for display), ``sigma``, and
    ``noisy_psnr`` / ``denoised_psnr`` in dB against `clean` (floats, +inf for identical images). PSNRs are those of
    `n2n_lib.evaluate.evaluate_folder`: the unclipped noisy input goes to the model and into the noisy PSNR.
    """
    sigma = float(sigma)
    if not 0 <= sigma <= 255:
        raise InputError(f"sigma={sigma:g} is outside 0-255; pick a noise std in 0-255 units such as 25.")
    if clean.dtype != torch.uint8 or clean.dim() != 3 or clean.shape[0] != 3:
        raise InputError(f"clean must be a uint8 (3, H, W) image, got {clean.dtype} {tuple(clean.shape)}")
    x = to_float(clean)[None]  # (1, 3, H, W)
    noisy = add_noise(x, NoiseSpec("gaussian", sigma, sigma), generator=torch.Generator().manual_seed(seed))
    out = denoise(model, noisy)  # (1, 3, H, W) in [0, 1]
    return {
        "noisy": to_uint8(noisy.clamp(0, 1))[0],
        "denoised": to_uint8(out)[0],
        "clean": clean,
        "sigma": sigma,
        "noisy_psnr": psnr(noisy, x).item(),
        "denoised_psnr": psnr(out, x).item(),
    }


def decode_upload(data: bytes, name: str = "upload") -> Tensor:
    """Decode uploaded file bytes (PNG or JPEG) as uint8 (3, H, W), like `n2n_lib.data.read_image` does a file.

    Raises InputError naming the upload when the name is not .png/.jpg/.jpeg or the bytes are not a readable image.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"upload {name!r} is not a PNG or JPEG file; upload an image ending in .png, .jpg or .jpeg.")
    if not data:
        raise InputError(f"upload {name!r} is empty; upload the image file again.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            return read_image(path)
        except InputError as exc:
            why = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unreadable"
            raise InputError(
                f"upload {name!r} cannot be read as an image ({why}); "
                "upload a PNG or JPEG that opens in an image viewer."
            ) from exc


def denoise_upload(model: nn.Module, data: bytes, name: str = "upload") -> dict:
    """Denoise a user's own image as it is (it is taken to be noisy already; nothing is added).

    data: the file's bytes (PNG or JPEG). Images larger than `MAX_UPLOAD_SIDE` a side are centre-cropped to it.
    Returns ``{"noisy": uint8 (3, H, W) as uploaded, "denoised": uint8 (3, H, W), "cropped": bool, "name": name}``.
    There is no clean reference, hence no PSNR. Raises InputError for a file that is not a readable PNG/JPEG.
    """
    image = decode_upload(data, name)
    cropped = max(image.shape[-2:]) > MAX_UPLOAD_SIDE
    image = center_crop(image, MAX_UPLOAD_SIDE) if cropped else image
    out = denoise(model, to_float(image))  # (3, H, W) in [0, 1]
    return {"noisy": image, "denoised": to_uint8(out), "cropped": cropped, "name": name}


def _db(value: float) -> str:
    return "∞ dB" if math.isinf(value) else f"{value:.2f} dB"


def describe(result: Mapping) -> str:
    """One line for the widget: "σ = 25 · noisy 20.30 dB · denoised 28.10 dB", or the upload's equivalent."""
    if "sigma" in result:
        sigma = result["sigma"]
        shown = f"{sigma:.0f}" if float(sigma).is_integer() else f"{sigma:.1f}"
        return f"σ = {shown} · noisy {_db(result['noisy_psnr'])} · denoised {_db(result['denoised_psnr'])}"
    h, w = result["noisy"].shape[-2:]
    crop = f", centre {w}×{h} crop" if result["cropped"] else f", {w}×{h}"
    return f"{result['name']} denoised as uploaded{crop} · no clean image, so no PSNR"


def _upload_files(value) -> list[tuple[str, bytes]]:
    """(name, bytes) pairs from a FileUpload value (a tuple of dicts in ipywidgets 8, a dict of dicts in 7)."""
    entries = value.values() if isinstance(value, Mapping) else value
    return [(entry.get("name", "upload"), bytes(entry["content"])) for entry in entries]


def denoise_explorer(
    model: nn.Module, images: Mapping[str, Tensor], sigma: float = 25.0, seed: int = 0, crop: int = CROP
):
    """An ipywidgets panel: pick an image, move σ, see noisy | denoised | clean and both PSNRs; upload your own.

    model: a trained denoiser (e.g. `n2n_lib.checkpoint.load_model` of ``checkpoints/n2n_gaussian.pt``).
    images: name → clean uint8 (3, H, W); each is shown as its centre crop×crop window (slider updates stay fast).
    sigma: the slider's start value, in 0-255 units (range 0-75). seed: the noise pattern (same seed, same noise).
    An uploaded PNG/JPEG is denoised as it is and shown as "your image | denoised" (no clean image, so no PSNR);
    it joins the dropdown as "upload: NAME". A file that is not a readable image shows a message instead.
    Returns the panel (an ``ipywidgets.VBox``); its ``.controls`` dict holds the sub-widgets by role.
    """
    if not images:
        raise InputError("images is empty; pass a dict name → uint8 (3, H, W), e.g. n2n_lib.evaluate.eval_images().")
    return _Explorer(model, {name: center_crop(image, crop) for name, image in images.items()}, sigma, seed).panel


class _Explorer:
    """The widgets of `denoise_explorer` and what they do when the image, σ or an upload changes."""

    def __init__(self, model: nn.Module, crops: dict[str, Tensor], sigma: float, seed: int):
        import ipywidgets as w

        self.model, self.crops, self.seed = model, crops, seed
        self.uploads: dict[str, dict] = {}  # "upload: NAME" → denoise_upload's result
        self.clean_png: dict[str, bytes] = {}  # PNGs of the clean crops, encoded once
        self.picker = w.Dropdown(options=list(crops), description="image")
        self.slider = w.FloatSlider(
            value=float(sigma), min=0.0, max=SIGMA_MAX, step=1.0, description="σ", continuous_update=False,
            readout_format=".0f",
        )  # fmt: skip
        accept = ".png,.jpg,.jpeg,image/png,image/jpeg"
        self.upload = w.FileUpload(accept=accept, multiple=False, description="your image")
        self.status = w.HTML(layout=w.Layout(min_height="1.6em"))
        self.panels = [w.Image(format="png", layout=w.Layout(width="256px", height="auto")) for _ in range(3)]
        self.captions = [w.Label(value=text) for text in ("noisy", "denoised", "clean")]
        row = w.HBox([w.VBox(pair) for pair in zip(self.captions, self.panels, strict=True)])
        self.picker.observe(self.refresh, names="value")
        self.slider.observe(self.refresh, names="value")
        self.upload.observe(self.on_upload, names="value")
        self.refresh()
        self.panel = w.VBox([w.HBox([self.picker, self.slider]), w.HBox([self.upload]), self.status, row])
        self.panel.add_class("n2n-denoise-explorer")
        self.panel.controls = {
            "image": self.picker, "sigma": self.slider, "upload": self.upload, "status": self.status,
            "panels": self.panels,
        }  # fmt: skip

    def show_message(self, text: str) -> None:
        self.status.value = f"<b style='color:#b00020'>{text}</b>"

    def refresh(self, _change=None) -> None:
        """Show the picked image: an upload as it is, a clean crop re-noised at the slider's σ and denoised."""
        name = self.picker.value
        try:
            if name in self.uploads:
                result, labels = self.uploads[name], ["your image", "denoised"]
            else:
                result = renoise_and_denoise(self.model, self.crops[name], self.slider.value, self.seed)
                labels = ["noisy", "denoised", "clean"]
            self._show(name, result, labels)
        except (InputError, RuntimeError) as exc:  # a bad image or an out-of-memory model call: say so, keep going
            self.show_message(str(exc))

    def _show(self, name: str, result: dict, labels: list[str]) -> None:
        uploaded = name in self.uploads
        self.slider.disabled = uploaded  # an upload has no clean image to re-noise
        for panel, picture in ((self.panels[0], result["noisy"]), (self.panels[1], result["denoised"])):
            panel.value = png_bytes(picture)
        self.panels[2].layout.display = self.captions[2].layout.display = "none" if uploaded else None
        if not uploaded:
            if name not in self.clean_png:
                self.clean_png[name] = png_bytes(self.crops[name])
            self.panels[2].value = self.clean_png[name]
        for caption, text in zip(self.captions, labels, strict=False):
            caption.value = text
        self.status.value = describe(result)

    def on_upload(self, change) -> None:
        for name, data in _upload_files(change["new"]):
            try:
                result = denoise_upload(self.model, data, name)
            except (InputError, RuntimeError) as exc:
                self.show_message(str(exc))
                continue
            key = UPLOAD_PREFIX + name
            self.uploads[key] = result
            self.picker.options = [*self.crops, *self.uploads]
            if self.picker.value == key:  # re-uploading the same name does not change the selection, so refresh here
                self.refresh()
            self.picker.value = key
