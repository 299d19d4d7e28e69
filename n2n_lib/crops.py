"""Training on whole photos: random crops cut on the training device, a new set every batch.

Taught in notebook ``03_training`` (section "Beyond 32×32 patches") and used to train the shipped models
(checkpoints/README.md). The 6250 fixed 32×32 patches of the report are a small, fixed sample of their photos; cutting
fresh crops of whole photos every batch shows the network a new view each time and lets it see larger structures.

All photos of a collection live in one flat uint8 buffer on the device, (3, P) for P pixels in all, with each photo's
offset, height and width beside it. A batch of crops is then a single gather: for every sample one photo and one
top-left corner are drawn, and the (B, size, size) indices of its pixels are computed with broadcasting — no Python
loop over samples, no DataLoader. Flips and 90° rotations (the eight symmetries of the square) come in the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from n2n_lib.data import EMBEDDED_TRAIN, EMBEDDED_VAL, embedded_images, image_files, read_image
from n2n_lib.errors import InputError

PHOTO_FORMS = "'embedded' or 'folder:PATH'"


@dataclass
class PhotoSet:
    """Photos of any sizes packed for batched cropping. `pixels` holds them all, row-major, one after another."""

    pixels: Tensor  # uint8 (3, P)
    offsets: Tensor  # int64 (N,) index in `pixels` of photo i's top-left pixel
    heights: Tensor  # int64 (N,)
    widths: Tensor  # int64 (N,)
    names: list[str] = field(default_factory=list)

    @staticmethod
    def pack(photos: dict[str, Tensor]) -> PhotoSet:
        """name -> uint8 (3, H, W) photos, packed in the dict's order."""
        if not photos:
            raise InputError("a photo collection needs at least one photo; the folder or source given has none.")
        images = list(photos.values())
        sizes = torch.tensor([im.shape[-2] * im.shape[-1] for im in images])
        offsets = torch.cumsum(sizes, 0) - sizes
        pixels = torch.cat([im.reshape(3, -1) for im in images], dim=1)
        heights = torch.tensor([im.shape[-2] for im in images])
        widths = torch.tensor([im.shape[-1] for im in images])
        return PhotoSet(pixels, offsets, heights, widths, list(photos))

    def __len__(self) -> int:
        return self.offsets.shape[0]

    @property
    def megapixels(self) -> float:
        return self.pixels.shape[1] / 1e6

    def to(self, device: torch.device | str) -> PhotoSet:
        moved = (x.to(device) for x in (self.pixels, self.offsets, self.heights, self.widths))
        return PhotoSet(*moved, names=self.names)

    def photo(self, i: int) -> Tensor:
        """Photo i as uint8 (3, H, W)."""
        h, w, start = int(self.heights[i]), int(self.widths[i]), int(self.offsets[i])
        return self.pixels[:, start : start + h * w].view(3, h, w)

    def crops(self, photo: Tensor, size: int, generator: torch.Generator | None = None) -> Tensor:
        """One random size×size crop of each listed photo: photo (B,) int64 -> uint8 (B, 3, size, size).

        Corners are uniform over all positions where the crop fits; `generator` must live on the photos' device.
        """
        h, w, start = self.heights[photo], self.widths[photo], self.offsets[photo]  # (B,) each
        u = torch.rand(2, photo.shape[0], generator=generator, device=photo.device)  # (2, B)
        top = (u[0] * (h - size + 1)).long()  # (B,) in [0, h - size]
        left = (u[1] * (w - size + 1)).long()
        r = torch.arange(size, device=photo.device)
        rows = (top.view(-1, 1) + r) * w.view(-1, 1)  # (B, size): offset of each crop row within its photo
        index = start.view(-1, 1, 1) + rows.view(-1, size, 1) + (left.view(-1, 1, 1) + r.view(1, 1, size))
        return self.pixels[:, index].permute(1, 0, 2, 3)  # (3, B, size, size) -> (B, 3, size, size)

    def fixed_crops(self, size: int, per_photo: int, seed: int) -> Tensor:
        """`per_photo` seeded random crops of every photo, uint8 (N * per_photo, 3, size, size), e.g. for validation."""
        gen = torch.Generator(device=self.pixels.device).manual_seed(seed)
        photo = torch.arange(len(self), device=self.pixels.device).repeat_interleave(per_photo)
        return self.crops(photo, size, gen)


def dihedral(images: list[Tensor], u: Tensor) -> list[Tensor]:
    """Apply one of the 8 symmetries of the square per sample, the same to every tensor in `images` (B, C, S, S).

    u: (B, 3) uniform numbers in [0, 1) deciding a horizontal flip, a vertical flip and a transpose (which together
    give every rotation by a multiple of 90° and every mirror image).
    """
    for column, op in enumerate((lambda x: x.flip(-1), lambda x: x.flip(-2), lambda x: x.transpose(-1, -2))):
        do = (u[:, column] < 0.5).view(-1, 1, 1, 1)  # (B, 1, 1, 1)
        images = [torch.where(do, op(x), x) for x in images]
    return images


def _read_photos(paths: list[Path], min_side: int) -> dict[str, Tensor]:
    photos = {}
    for path in paths:
        image = read_image(path)
        if min(image.shape[-2:]) >= min_side:
            photos[str(path)] = image
    return photos


def load_photos(source: str, crop: int, val_every: int = 20) -> tuple[PhotoSet, PhotoSet]:
    """(training, validation) photos of a source, each at least `crop` pixels on its shorter side.

    source: ``embedded`` (the six training and two validation photos bundled with scikit-image, scikit-learn and
    matplotlib) or ``folder:PATH`` (every image below PATH, recursively — e.g. the collection that
    ``python -m n2n_lib.lab.photo_collection`` builds in data/photos, or BSDS500 or DIV2K; every `val_every`-th photo in
    sorted order validates, and at least one). Photos smaller than the crop are skipped.
    """
    if source == "embedded":
        photos = {k: v for k, v in embedded_images().items() if min(v.shape[-2:]) >= crop}
        train = {k: v for k, v in photos.items() if k in EMBEDDED_TRAIN}
        val = {k: v for k, v in photos.items() if k in EMBEDDED_VAL}
    elif source.startswith("folder:"):
        root = Path(os.path.expanduser(source.split(":", 1)[1]))
        if not root.is_dir():
            raise InputError(
                f"photo folder {root} does not exist; build it with `python -m n2n_lib.lab.photo_collection`."
            )
        photos = _read_photos(image_files(root), crop)
        names = list(photos)  # sorted by path
        held_out = set(names[val_every - 1 :: val_every] or names[-1:])
        train = {k: v for k, v in photos.items() if k not in held_out}
        val = {k: v for k, v in photos.items() if k in held_out}
    else:
        raise InputError(f"photo source {source!r} is unknown; use {PHOTO_FORMS}.")
    if not train or not val:
        raise InputError(
            f"photo source {source!r} has {len(train)} training and {len(val)} validation photos of at least "
            f"{crop} px a side; it needs at least one of each (add photos, or lower the crop size)."
        )
    return PhotoSet.pack(train), PhotoSet.pack(val)


@dataclass
class PhotoData:
    """Whole photos as training reads them: a fresh random crop per sample, fixed crops for validation.

    An "epoch" is `crops_per_epoch` crops; sample i of an epoch is cut from training photo i mod N, so every photo
    gives the same number of crops whatever its size (big wallpapers do not drown small photos).
    """

    train: PhotoSet
    val_clean: Tensor  # uint8 (M, 3, crop, crop) fixed, seeded crops of the validation photos
    crop: int
    crops_per_epoch: int
    meta: dict

    def __len__(self) -> int:
        return self.crops_per_epoch


def load_photo_data(
    source: str, crop: int = 96, crops_per_epoch: int = 2048, val_per_photo: int = 4, seed: int = 0
) -> PhotoData:
    """Training photos and seeded validation crops of `source` (see `load_photos`), ready for `train.fit`."""
    if crop < 8 or crops_per_epoch < 1 or val_per_photo < 1:
        raise InputError(
            f"crop={crop}, crops_per_epoch={crops_per_epoch}, val_per_photo={val_per_photo}: need a crop of at "
            "least 8 px and at least one crop per epoch and per validation photo."
        )
    train, val = load_photos(source, crop)
    meta = {
        "source": source,
        "crop": crop,
        "crops_per_epoch": crops_per_epoch,
        "train_photos": len(train),
        "val_photos": len(val),
        "train_megapixels": round(train.megapixels, 2),
        "seed": seed,
    }
    return PhotoData(train, val.fixed_crops(crop, val_per_photo, seed), crop, crops_per_epoch, meta)
