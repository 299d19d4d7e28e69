"""Image sources and 32×32 patches (taught in notebook ``01_data_preparation``).

Images have one in-memory form everywhere in n2n-lab: ``torch.uint8`` tensors (N, 3, H, W), or (3, H, W) for a single
image, values 0-255. Floats in [0, 1] appear only where a model, noise or metric needs them (`to_float`, `to_uint8`).

`load_source` turns a source string into clean patches (`CleanSplit`); `n2n_lib.pairs` adds the noise and packs
them into report-style pickles.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

from n2n_lib.errors import InputError
from n2n_lib.imagenet32 import load_imagenet32
from n2n_lib.paths import data_dir

# The offline "embedded" source: photos bundled with scikit-image, scikit-learn and matplotlib. Six photos of different
# kinds (portrait, food, fur, outdoor scene, objects, architecture) train; two others (a flower close-up, a portrait)
# validate, so validation PSNR is measured on pictures the network has never seen.
EMBEDDED_TRAIN = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle", "china")
EMBEDDED_VAL = ("flower", "grace_hopper")

# The image files n2n-lab reads, everywhere: folder sources, training photos, evaluation folders (`n2n_lib.evaluate`).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
# Files that describe a photo folder (data/photos/manifest.csv, data/eval/SOURCES.md): skipped without a warning.
DOCUMENTATION_FILES = frozenset({"manifest.csv", "SOURCES.md", "README.md", "README.txt", "LICENSE"})
SOURCE_FORMS = "'embedded', 'imagenet32:PATH', 'folder:PATH', 'cifar10' or 'cifar10:ROOT'"


def to_float(x: Tensor) -> Tensor:
    """uint8 0-255 -> float32 in [0, 1], same shape and device."""
    if x.dtype != torch.uint8:
        raise InputError(f"to_float expects uint8 images (0-255), got {x.dtype}; floats are already in [0, 1].")
    return x.to(torch.float32) / 255


def to_uint8(x: Tensor) -> Tensor:
    """float in [0, 1] -> uint8 0-255, same shape and device; values are rounded to nearest and clamped."""
    return (x * 255).round().clamp(0, 255).to(torch.uint8)


def _as_rgb(array: np.ndarray) -> Tensor:
    """(H, W), (H, W, 1|2|3|4) uint8 array -> uint8 (3, H, W): grey is repeated, alpha is dropped."""
    if array.ndim == 2:
        array = array[..., None]
    array = array[..., :3] if array.shape[2] >= 3 else np.repeat(array[..., :1], 3, axis=2)
    return torch.from_numpy(np.array(array, order="C")).permute(2, 0, 1).contiguous()  # a copy: inputs may be read-only


def read_image(path: str | os.PathLike) -> Tensor:
    """Any image file Pillow reads (PNG, JPEG, BMP, TIFF, WebP, …) as uint8 (3, H, W).

    Grey images are repeated to RGB; alpha is dropped (the stored colours are kept, not composited onto a background);
    16-bit images are scaled to 8 bits (65535 -> 255); the EXIF orientation of camera JPEGs is applied.
    Raises InputError for a missing, non-image or corrupt file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"image {path} does not exist; check the path.")
    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)  # loads the pixels, so truncation surfaces here
            if image.mode.startswith("I"):  # 16-bit grey ("I;16", or "I" for some PNG/TIFF readers)
                grey = np.asarray(image, dtype=np.float64) / 257  # 65535 / 257 = 255
                return _as_rgb(np.clip(np.rint(grey), 0, 255).astype(np.uint8))
            return _as_rgb(np.asarray(image.convert("RGB")))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(
            f"image {path} cannot be read ({type(exc).__name__}: {exc}); pass a PNG, JPEG, BMP, TIFF or WebP file "
            "that opens in an image viewer."
        ) from exc


@functools.lru_cache(maxsize=1)
def _embedded() -> dict[str, Tensor]:
    import skimage.data  # imported here: only the embedded source needs these packages
    from matplotlib import cbook
    from sklearn.datasets import load_sample_images

    sklearn_images = load_sample_images()
    by_stem = dict(zip([Path(f).stem for f in sklearn_images.filenames], sklearn_images.images, strict=True))
    arrays = {
        "astronaut": skimage.data.astronaut(),
        "coffee": skimage.data.coffee(),
        "chelsea": skimage.data.chelsea(),
        "rocket": skimage.data.rocket(),
        "motorcycle": skimage.data.stereo_motorcycle()[0],  # the left view of the stereo pair
        "china": by_stem["china"],
        "flower": by_stem["flower"],
    }
    images = {name: _as_rgb(array) for name, array in arrays.items()}
    images["grace_hopper"] = read_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return images


def embedded_images() -> dict[str, Tensor]:
    """The eight bundled photos, name -> uint8 (3, H, W), 300-600 px a side. Works offline; read once, then cached."""
    return {name: image.clone() for name, image in _embedded().items()}  # clones: callers may edit them in place


def _crops(image: Tensor, count: int, size: int, generator: torch.Generator | None) -> Tensor:
    """`count` random size×size crops of one (3, H, W) image, uint8 (count, 3, size, size), by one gather."""
    _, h, w = image.shape
    top = torch.randint(h - size + 1, (count,), generator=generator)
    left = torch.randint(w - size + 1, (count,), generator=generator)
    offsets = torch.arange(size)
    rows = (top[:, None] + offsets)[:, None, :, None]  # (count, 1, size, 1)
    cols = (left[:, None] + offsets)[:, None, None, :]  # (count, 1, 1, size)
    return image[torch.arange(3)[None, :, None, None], rows, cols]  # (count, 3, size, size)


def random_patches(
    images: list[Tensor] | Tensor, n: int, size: int = 32, generator: torch.Generator | None = None
) -> Tensor:
    """`n` random size×size crops, uint8 (n, 3, size, size), in random order.

    images: uint8 (3, H, W) tensors of any sizes, or one uint8 (N, 3, H, W) tensor.
    Every crop position of every image is equally likely (drawn with replacement), so an image gets crops in
    proportion to its area: big photos are not under-sampled. Raises InputError if an image is smaller than size.
    """
    images = list(images)
    if n < 0 or size < 1:
        raise InputError(f"random_patches: n={n} and size={size} must be >= 0 and >= 1.")
    for i, image in enumerate(images):
        if image.dtype != torch.uint8 or image.ndim != 3 or image.shape[0] != 3:
            raise InputError(f"image {i} must be uint8 (3, H, W), got {image.dtype} {tuple(image.shape)}.")
        if min(image.shape[1:]) < size:
            raise InputError(f"image {i} is {tuple(image.shape[1:])} pixels, smaller than the {size}×{size} patch.")
    if n == 0 or not images:
        return torch.empty(0, 3, size, size, dtype=torch.uint8)
    positions = torch.tensor([(h - size + 1) * (w - size + 1) for _, h, w in map(Tensor.size, images)]).double()
    owner = torch.multinomial(positions, n, replacement=True, generator=generator)  # (n,) image of each crop
    counts = torch.bincount(owner, minlength=len(images)).tolist()
    parts = [_crops(im, k, size, generator) for im, k in zip(images, counts, strict=True) if k > 0]
    return torch.cat(parts)[torch.randperm(n, generator=generator)]


def _rng(seed: int, stream: int) -> torch.Generator:
    """A CPU generator for one purpose (stream) of a seed, so e.g. the validation crops do not depend on n_train."""
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, stream]).generate_state(1)[0]))


@dataclass
class CleanSplit:
    """Clean patches from a source, before any noise is added."""

    train: Tensor  # uint8 (N, 3, H, W) clean training patches
    val: Tensor | None  # uint8 (M, 3, H, W) clean validation patches; None if the source has none
    source: str  # the source string, for provenance


def _embedded_split(arg: str, n_train: int, n_val: int, patch: int, seed: int) -> tuple[Tensor, Tensor]:
    if arg:
        raise InputError(f"source 'embedded:{arg}': the embedded source takes no argument; write 'embedded'.")
    images = _embedded()
    train = random_patches([images[name] for name in EMBEDDED_TRAIN], n_train, patch, _rng(seed, 0))
    return train, random_patches([images[name] for name in EMBEDDED_VAL], n_val, patch, _rng(seed, 1))


def image_files(folder: Path) -> list[Path]:
    """Image files under `folder` (recursive, sorted); other files (but `DOCUMENTATION_FILES`) are skipped with one
    warning naming them."""
    if not folder.is_dir():
        raise InputError(f"source folder {folder} does not exist or is not a folder; check the path.")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    others = [
        str(p.relative_to(folder))
        for p in files
        if p.suffix.lower() not in IMAGE_SUFFIXES and p.name not in DOCUMENTATION_FILES
    ]
    if others:
        warnings.warn(f"folder {folder}: skipping non-image file(s) {', '.join(others[:10])}", stacklevel=3)
    return [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]


def _folder_split(arg: str, n_train: int, n_val: int, patch: int, seed: int) -> tuple[Tensor, Tensor | None]:
    if not arg:
        raise InputError("source 'folder:' needs a path: 'folder:PATH' (a folder of PNG/JPEG/... images).")
    folder = Path(arg).expanduser()
    images: dict[Path, Tensor] = {}
    for path in image_files(folder):
        try:
            images[path] = read_image(path)
        except InputError as exc:
            warnings.warn(f"skipping unreadable image: {exc}", stacklevel=2)
    if not images:
        raise InputError(f"source folder {folder} holds no readable images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    for path, image in images.items():
        if min(image.shape[1:]) < patch:
            raise InputError(
                f"image {path} is {tuple(image.shape[1:])} pixels, smaller than the {patch}-pixel patch; "
                "remove it or lower the patch size."
            )
    paths = list(images)
    held_out = set(paths[::5]) if len(paths) >= 2 else set()  # every 5th file (the first included) validates
    train = random_patches([images[p] for p in paths if p not in held_out], n_train, patch, _rng(seed, 0))
    val = random_patches([images[p] for p in paths if p in held_out], n_val, patch, _rng(seed, 1)) if held_out else None
    return train, val


def _cifar_part(root: Path, train: bool) -> Tensor:
    """One CIFAR-10 split as uint8 (N, 3, 32, 32); downloads into `root` only when it is not there yet."""
    from torchvision.datasets import CIFAR10  # imported here: torchvision is slow to import and only needed here

    try:
        dataset = CIFAR10(root, train=train, download=False)
    except RuntimeError:  # not at root yet: fetch it
        try:
            dataset = CIFAR10(root, train=train, download=True)
        except (OSError, RuntimeError, ValueError) as exc:  # URLError is an OSError
            raise InputError(
                f"CIFAR-10 is not in {root} and could not be downloaded ({type(exc).__name__}: {exc}); connect to "
                f"the internet, or put cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html "
                f"into {root}."
            ) from exc
    return torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()  # stored (N, H, W, C)


def _first(images: Tensor, n: int, what: str) -> Tensor:
    if len(images) < n:
        raise InputError(f"{what} holds {len(images)} images but {n} were asked for; lower n_train/n_val.")
    return images[:n].clone()


def _cifar_split(arg: str, n_train: int, n_val: int, patch: int, seed: int) -> tuple[Tensor, Tensor]:
    root = Path(arg).expanduser() if arg else data_dir() / "cifar10"
    _need_native_size(patch, "cifar10")
    train = _first(_cifar_part(root, train=True), n_train, "CIFAR-10 train split")
    return train, _first(_cifar_part(root, train=False), n_val, "CIFAR-10 test split")


def _imagenet(arg: str, n_train: int, n_val: int, patch: int, seed: int) -> tuple[Tensor, Tensor]:
    if not arg:
        raise InputError("source 'imagenet32:' needs a path: 'imagenet32:PATH' (a batch file or its folder).")
    _need_native_size(patch, "imagenet32")
    return load_imagenet32(arg, n_train, n_val)


def _need_native_size(patch: int, kind: str) -> None:
    if patch != 32:
        raise InputError(f"source {kind} has 32×32 images; use patch=32 (got {patch}).")


_LOADERS = {"embedded": _embedded_split, "folder": _folder_split, "cifar10": _cifar_split, "imagenet32": _imagenet}


def load_source(source: str, n_train: int = 6250, n_val: int = 500, patch: int = 32, seed: int = 0) -> CleanSplit:
    """Clean uint8 patches from a source string; the same arguments always give the same patches.

    * ``embedded`` — random crops of the bundled photos: `EMBEDDED_TRAIN` for train, `EMBEDDED_VAL` for val (offline).
    * ``imagenet32:PATH`` — downsampled ImageNet 32×32 batches, a file or a folder (see `n2n_lib.imagenet32`).
    * ``folder:PATH`` — random crops of the images in a folder (recursive). With two or more images every 5th file
      (sorted by path, starting with the first) is held out for validation; with one image val is None.
    * ``cifar10`` or ``cifar10:ROOT`` — CIFAR-10 train split for train, test split for val; downloaded into ROOT
      (default ``data/cifar10``) when it is not there.

    Crops are size `patch`; imagenet32 and cifar10 images are used whole, so they need patch=32.
    ``epfl:PATH`` holds noisy pairs, not clean images: read it with `load_pairs`, or copy it with `prepare`.
    """
    kind, _, arg = str(source).partition(":")
    if kind == "epfl":
        raise InputError(
            f"source {source!r} holds noisy pairs, not clean images; use load_pairs({arg!r}) to read it, "
            f"or prepare({source!r}, OUT) to copy it into a dataset folder."
        )
    if kind not in _LOADERS:
        raise InputError(f"unknown data source {source!r}; use {SOURCE_FORMS} (or 'epfl:PATH' with prepare).")
    if n_train < 1 or n_val < 0 or patch < 1 or seed < 0:
        raise InputError(
            f"n_train={n_train}, n_val={n_val}, patch={patch}, seed={seed}: need n_train >= 1, "
            "n_val >= 0, patch >= 1 and seed >= 0."
        )
    train, val = _LOADERS[kind](arg, n_train, n_val, patch, seed)
    return CleanSplit(train=train, val=val, source=str(source))
