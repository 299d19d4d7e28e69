"""Whole-photo training: the batched crop gather, the eight square symmetries, photo folders and `fit` on crops."""

import pytest
import torch
from PIL import Image

from n2n_lib.crops import PhotoSet, dihedral, load_photo_data, load_photos
from n2n_lib.errors import InputError
from n2n_lib.model import UNetConfig
from n2n_lib.train import TrainConfig, fit


def _photos(seed: int = 0) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {
        "wide": torch.randint(0, 256, (3, 20, 37), generator=gen, dtype=torch.uint8),
        "tall": torch.randint(0, 256, (3, 41, 16), generator=gen, dtype=torch.uint8),
        "square": torch.randint(0, 256, (3, 16, 16), generator=gen, dtype=torch.uint8),
    }


def test_pack_keeps_every_photo():
    photos = _photos()
    packed = PhotoSet.pack(photos)
    assert len(packed) == 3 and packed.names == list(photos)
    for i, image in enumerate(photos.values()):
        assert torch.equal(packed.photo(i), image)
    assert packed.megapixels == pytest.approx(sum(im[0].numel() for im in photos.values()) / 1e6)


def test_each_crop_is_a_window_of_its_photo():
    photos = _photos()
    packed = PhotoSet.pack(photos)
    which = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    crops = packed.crops(which, 16, torch.Generator().manual_seed(3))
    assert crops.shape == (8, 3, 16, 16) and crops.dtype == torch.uint8
    for crop, i in zip(crops, which.tolist(), strict=True):
        image = packed.photo(i)
        h, w = image.shape[-2:]
        windows = [image[:, t : t + 16, l : l + 16] for t in range(h - 15) for l in range(w - 15)]
        assert any(torch.equal(crop, win) for win in windows)


def test_crop_corners_cover_the_photo():
    packed = PhotoSet.pack({"only": torch.arange(3 * 6 * 6, dtype=torch.uint8).view(3, 6, 6)})
    crops = packed.crops(torch.zeros(400, dtype=torch.long), 4, torch.Generator().manual_seed(0))
    corners = {int(c[0, 0, 0]) for c in crops}  # the top-left pixel value names the corner: 6·top + left
    assert corners == {6 * t + left for t in range(3) for left in range(3)}


def test_same_seed_same_crops():
    packed = PhotoSet.pack(_photos())
    assert torch.equal(packed.fixed_crops(16, 2, seed=5), packed.fixed_crops(16, 2, seed=5))
    assert not torch.equal(packed.fixed_crops(16, 2, seed=5), packed.fixed_crops(16, 2, seed=6))


def test_dihedral_gives_all_eight_symmetries():
    x = torch.arange(9.0).view(1, 1, 3, 3).repeat(64, 1, 1, 1)
    u = torch.rand(64, 3, generator=torch.Generator().manual_seed(0))
    out, twin = dihedral([x, x + 100], u)
    assert torch.equal(twin, out + 100)  # the same symmetry for every tensor of a sample
    expected = set()
    for k in range(4):
        r = torch.rot90(x[0, 0], k)
        expected |= {tuple(r.flatten().tolist()), tuple(r.T.flatten().tolist())}
    assert {tuple(o.flatten().tolist()) for o in out[:, 0]} == expected


def _folder(tmp_path, n: int, size: tuple[int, int] = (40, 50)):
    gen = torch.Generator().manual_seed(1)
    for i in range(n):
        array = torch.randint(0, 256, (*size, 3), generator=gen, dtype=torch.uint8).numpy()
        sub = tmp_path / f"pkg{i % 2}"
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(sub / f"p{i:02d}.png")
    return tmp_path


def test_folder_holds_out_every_twentieth_photo(tmp_path):
    train, val = load_photos(f"folder:{_folder(tmp_path, 41)}", crop=32)
    assert (len(train), len(val)) == (39, 2)
    assert not set(train.names) & set(val.names)


def test_small_folder_still_validates_and_small_photos_are_skipped(tmp_path):
    folder = _folder(tmp_path, 3)
    Image.new("RGB", (20, 20)).save(folder / "tiny.png")
    train, val = load_photos(f"folder:{folder}", crop=32)
    assert len(train) + len(val) == 3 and len(val) == 1


@pytest.mark.parametrize(
    "source, match",
    [("folder:/no/such/dir", "photo_collection"), ("flickr", "embedded"), ("embedded", "at least one of each")],
)
def test_bad_photo_sources_say_what_to_do(source, match):
    with pytest.raises(InputError, match=match):
        load_photos(source, crop=600 if source == "embedded" else 32)


def test_fit_on_photo_crops_learns_and_resumes(tmp_path):
    data = load_photo_data(f"folder:{_folder(tmp_path / 'photos', 6, (48, 48))}", crop=16, crops_per_epoch=64)
    assert data.val_clean.shape == (4, 3, 16, 16)  # one validation photo, four fixed crops
    config = TrainConfig(epochs=2, batch_size=16, noise="gaussian:25", precision="fp32")
    ckpt = tmp_path / "m.pt"
    first = fit(data, UNetConfig(width=8, depth=2, head=(8, 8)), config, checkpoint=ckpt, progress=False)
    assert len(first.history["val_psnr"]) == 2 and ckpt.exists()
    again = fit(data, UNetConfig(width=8, depth=2, head=(8, 8)), config, progress=False)
    assert again.history["train_loss"] == first.history["train_loss"]  # seeded: the same crops, noise and steps
    with pytest.raises(InputError, match="noise spec"):
        fit(data, UNetConfig(width=8, depth=2, head=(8, 8)), TrainConfig(epochs=1), progress=False)
