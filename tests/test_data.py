"""Data sources, patches and the pair pickles, each read from a small file of its real format written here."""

from __future__ import annotations

import pickle
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from n2n_lib import data
from n2n_lib import pairs as pairing
from n2n_lib.errors import InputError
from n2n_lib.evaluate import eval_images


class _WritesMarker:
    """Pickles into a call of ``open(marker, "w")``: loading it with plain pickle creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _images(n: int, seed: int = 0, size: int = 32) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def _write_batch(path: Path, rows: np.ndarray, protocol: int = 4) -> None:
    """An ImageNet32 batch exactly as the official files: a plain pickle of a dict of numpy arrays and a list."""
    with open(path, "wb") as f:
        pickle.dump({"data": rows, "labels": list(range(1, len(rows) + 1)), "mean": rows.mean(0)}, f, protocol)


def _found_in(patch: torch.Tensor, image: torch.Tensor) -> bool:
    """Whether `patch` (3, s, s) is a crop of `image` (3, H, W): candidates by the top-left pixel, then compared."""
    s = patch.shape[-1]
    corner = (image[:, : image.shape[1] - s + 1, : image.shape[2] - s + 1] == patch[:, :1, :1]).all(0)
    return any(torch.equal(image[:, y : y + s, x : x + s], patch) for y, x in corner.nonzero().tolist())


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_imagenet32_batch_is_channel_planar(tmp_path, protocol):
    rows = np.zeros((6, 3072), dtype=np.uint8)
    rows[2, 0 * 1024 + 5 * 32 + 7] = 255  # red plane, row 5, column 7 of image 2
    rows[2, 1 * 1024 + 2 * 32 + 30] = 99  # green plane, row 2, column 30
    _write_batch(tmp_path / "train_data_batch_1", rows, protocol)
    split = data.load_source(f"imagenet32:{tmp_path / 'train_data_batch_1'}", n_train=4, n_val=2)
    assert split.train.shape == (4, 3, 32, 32) and split.train.dtype == torch.uint8 and split.val.shape[0] == 2
    assert split.train[2, 0, 5, 7] == 255 and split.train[2, 1, 2, 30] == 99
    assert int(split.train.sum()) == 255 + 99  # nothing else lit up


def test_imagenet32_batch_written_by_numpy_1_loads(tmp_path):
    rows = np.arange(2 * 3072).reshape(2, 3072).astype(np.uint8)
    payload = pickle.dumps({"data": rows, "labels": [1, 2]}, protocol=2)
    (tmp_path / "batch").write_bytes(payload.replace(b"numpy._core.", b"numpy.core."))  # numpy 1 module names
    split = data.load_source(f"imagenet32:{tmp_path / 'batch'}", n_train=1, n_val=1)
    assert torch.equal(split.val[0], torch.from_numpy(rows[1].reshape(3, 32, 32)))


def test_imagenet32_folder_orders_batches_and_uses_val_data(tmp_path):
    for number in (1, 2, 10):  # numeric order: batch_2 comes before batch_10
        _write_batch(tmp_path / f"train_data_batch_{number}", np.full((3, 3072), number, dtype=np.uint8))
    np.savez(tmp_path / "val_data.npz", data=np.full((5, 3072), 200, dtype=np.uint8), labels=np.arange(5))
    split = data.load_source(f"imagenet32:{tmp_path}", n_train=7, n_val=4)
    assert split.train[:, 0, 0, 0].tolist() == [1, 1, 1, 2, 2, 2, 10]
    assert (split.val == 200).all() and split.val.shape == (4, 3, 32, 32)
    with pytest.raises(InputError, match="holds 9 training images"):
        data.load_source(f"imagenet32:{tmp_path}", n_train=10, n_val=1)


def test_imagenet32_rejects_wrong_layout(tmp_path):
    _write_batch(tmp_path / "floats", np.zeros((2, 3072), dtype=np.float32))
    with pytest.raises(InputError, match="N×3072 uint8"):
        data.load_source(f"imagenet32:{tmp_path / 'floats'}", n_train=1, n_val=1)
    (tmp_path / "truncated").write_bytes(pickle.dumps({"data": np.zeros((2, 3072), np.uint8)})[:50])
    with pytest.raises(InputError, match="truncated"):
        data.load_source(f"imagenet32:{tmp_path / 'truncated'}", n_train=1, n_val=1)


def test_malicious_imagenet32_batch_is_refused_before_it_runs(tmp_path):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_WritesMarker(proof)))  # plain pickle would indeed run it
    assert proof.exists()
    marker = tmp_path / "marker"
    with open(tmp_path / "train_data_batch_1", "wb") as f:
        pickle.dump({"data": _WritesMarker(marker), "labels": [0]}, f)
    with pytest.raises(InputError, match="refused.*would run code"):
        data.load_source(f"imagenet32:{tmp_path / 'train_data_batch_1'}", n_train=1, n_val=0)
    assert not marker.exists()


def _epfl_folder(folder: Path, n: int = 12, m: int = 5) -> Path:
    folder.mkdir()
    torch.save((_images(n, 1), _images(n, 2)), folder / "train_data.pkl")
    torch.save((_images(m, 3), _images(m, 4)), folder / "val_data.pkl")
    return folder


def test_epfl_folder_loads_and_copies(tmp_path):
    folder = _epfl_folder(tmp_path / "epfl")
    loaded = pairing.load_pairs(folder)
    assert len(loaded) == 12 and loaded.train_clean is None and loaded.meta["source"] == f"epfl:{folder}"
    assert torch.equal(loaded.val_clean, _images(5, 4))
    out = pairing.prepare(f"epfl:{folder}", tmp_path / "out", n_train=8, n_val=3)
    copy = pairing.load_pairs(out)
    assert torch.equal(copy.train_a, _images(12, 1)[:8]) and torch.equal(copy.val_noisy, _images(5, 3)[:3])
    assert copy.train_clean is None and copy.meta["n_train"] == 8
    assert (out / "train_data.pkl").stat().st_size < 2 * 8 * 3072 + 4000  # the slice alone was saved
    with pytest.raises(InputError, match="load_pairs"):
        data.load_source(f"epfl:{folder}")


def test_epfl_folder_with_wrong_contents_is_refused(tmp_path):
    folder = _epfl_folder(tmp_path / "epfl")
    torch.save((_images(4).float() / 255, _images(4).float() / 255), folder / "train_data.pkl")
    with pytest.raises(InputError, match="torch.float32.*to_uint8"):
        pairing.load_pairs(folder)
    torch.save((_images(4), _images(3)), folder / "train_data.pkl")
    with pytest.raises(InputError, match="differ"):
        pairing.load_pairs(folder)


def test_malicious_train_data_pkl_is_refused_before_it_runs(tmp_path):
    folder = _epfl_folder(tmp_path / "epfl")
    marker = tmp_path / "marker"
    torch.save((_WritesMarker(marker), _WritesMarker(marker)), folder / "train_data.pkl")
    with pytest.raises(InputError, match="refused"):
        pairing.load_pairs(folder)
    assert not marker.exists()


def test_prepare_round_trip_noise_and_reproducibility(tmp_path):
    out = pairing.prepare("embedded", tmp_path / "a", noise="gaussian:25", n_train=256, n_val=32, seed=3)
    assert sorted(p.name for p in out.iterdir()) == [
        "dataset.json",
        "train_clean.pkl",
        "train_data.pkl",
        "val_data.pkl",
    ]
    pairs = pairing.load_pairs(out)
    assert len(pairs) == 256 and pairs.val_noisy.shape == pairs.val_clean.shape == (32, 3, 32, 32)
    for t in (pairs.train_a, pairs.train_b, pairs.train_clean, pairs.val_noisy, pairs.val_clean):
        assert t.dtype == torch.uint8 and t.shape[1:] == (3, 32, 32)
    assert pairs.meta["noise"] == "gaussian:25" and pairs.meta["seed"] == 3 and pairs.meta["source"] == "embedded"
    assert (pairs.train_a != pairs.train_b).float().mean() > 0.9  # two independent draws
    clean = pairs.train_clean.float()
    mid = (clean > 60) & (clean < 195)  # far from 0 and 255, where clipping would shrink the spread
    for noisy in (pairs.train_a, pairs.train_b):
        residual = (noisy.float() - clean)[mid]
        assert residual.std().item() == pytest.approx(25, abs=1.0) and abs(residual.mean().item()) < 0.5
    val_residual = (pairs.val_noisy.float() - pairs.val_clean.float())[(pairs.val_clean > 60) & (pairs.val_clean < 195)]
    assert val_residual.std().item() == pytest.approx(25, abs=2.0)

    again = pairing.load_pairs(pairing.prepare("embedded", tmp_path / "b", n_train=256, n_val=32, seed=3))
    other = pairing.load_pairs(pairing.prepare("embedded", tmp_path / "c", n_train=256, n_val=32, seed=4))
    for name in ("train_a", "train_b", "train_clean", "val_noisy", "val_clean"):
        assert torch.equal(getattr(pairs, name), getattr(again, name)), name
        assert not torch.equal(getattr(pairs, name), getattr(other, name)), name


def test_partial_folders_name_the_missing_file(tmp_path):
    out = pairing.prepare("embedded", tmp_path / "prepared", n_train=8, n_val=4)
    (out / "val_data.pkl").unlink()
    with pytest.raises(InputError, match="val_data.pkl missing.*python -m n2n_lib prepare"):
        pairing.load_pairs(out)
    (out / "dataset.json").unlink()  # as if prepare had been interrupted before its last step
    with pytest.raises(InputError, match="dataset.json missing.*prepare"):
        pairing.load_pairs(out)
    half = tmp_path / "half"
    half.mkdir()
    torch.save((_images(2), _images(2)), half / "train_data.pkl")
    with pytest.raises(InputError, match="val_data.pkl missing"):
        pairing.load_pairs(half)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no dataset"):
        pairing.load_pairs(tmp_path / "empty")


def _write_image_folder(folder: Path) -> None:
    """Five images of one flat colour each (so a patch shows which file it came from) and some things to skip."""
    (folder / "sub").mkdir(parents=True)
    Image.new("RGB", (40, 36), (10, 20, 30)).save(folder / "a_rgb.png")  # first in sorted order: held out for val
    Image.new("L", (50, 40), 128).save(folder / "b_grey.jpg")
    Image.new("RGBA", (40, 40), (200, 100, 50, 0)).save(folder / "c_rgba.png")  # fully transparent: alpha dropped
    Image.fromarray(np.full((34, 44), 257 * 60, dtype=np.uint16)).save(folder / "d_16bit.png")
    Image.new("RGB", (64, 64), (1, 2, 3)).save(folder / "sub" / "e_nested.bmp")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"this is not a PNG")


def test_read_image_converts_modes(tmp_path):
    _write_image_folder(tmp_path)
    assert data.read_image(tmp_path / "a_rgb.png").shape == (3, 36, 40)
    assert (data.read_image(tmp_path / "b_grey.jpg") == 128).all()
    assert data.read_image(tmp_path / "c_rgba.png")[:, 0, 0].tolist() == [200, 100, 50]
    sixteen = data.read_image(tmp_path / "d_16bit.png")
    assert sixteen.dtype == torch.uint8 and (sixteen == 60).all()
    for bad in ("notes.txt", "broken.png", "missing.png"):
        with pytest.raises(InputError, match=bad):
            data.read_image(tmp_path / bad)


def test_folder_source_skips_non_images_and_holds_out_every_fifth_file(tmp_path):
    _write_image_folder(tmp_path)
    with pytest.warns(UserWarning) as caught:
        split = data.load_source(f"folder:{tmp_path}", n_train=300, n_val=20, seed=1)
    messages = " ".join(str(w.message) for w in caught)
    assert "notes.txt" in messages and "broken.png" in messages
    assert split.train.shape == (300, 3, 32, 32) and split.val.shape == (20, 3, 32, 32)
    assert (split.val == torch.tensor([10, 20, 30], dtype=torch.uint8).view(3, 1, 1)).all()
    train_colours = {tuple(p[:, 0, 0].tolist()) for p in split.train}
    assert train_colours == {(128, 128, 128), (200, 100, 50), (60, 60, 60), (1, 2, 3)}


def test_folder_source_errors(tmp_path):
    Image.new("RGB", (40, 40)).save(tmp_path / "ok.png")
    Image.new("RGB", (40, 20)).save(tmp_path / "tiny.png")
    with pytest.raises(InputError, match="tiny.png.*smaller"):
        data.load_source(f"folder:{tmp_path}", n_train=4, n_val=2)
    only_text = tmp_path / "text"
    only_text.mkdir()
    (only_text / "readme.txt").write_text("hello")
    with pytest.warns(UserWarning, match="readme.txt"), pytest.raises(InputError, match="no readable images"):
        data.load_source(f"folder:{only_text}")
    with pytest.raises(InputError, match="does not exist"):
        data.load_source(f"folder:{tmp_path / 'nowhere'}")


def test_embedded_source_and_disjoint_validation():
    split = data.load_source("embedded")
    assert split.train.shape == (6250, 3, 32, 32) and split.train.dtype == torch.uint8
    assert split.val.shape == (500, 3, 32, 32) and split.source == "embedded"
    assert not set(data.EMBEDDED_TRAIN) & set(data.EMBEDDED_VAL)
    photos, evaluation = data.embedded_images(), eval_images()
    assert set(photos) == set(data.EMBEDDED_TRAIN) | set(data.EMBEDDED_VAL)
    assert sorted(evaluation) == ["barbara", "kodim23", "monarch", "sail", "tulips"]
    for name, image in photos.items():
        assert image.dtype == torch.uint8 and image.shape[0] == 3
        others = [im for other, im in photos.items() if other != name] + list(evaluation.values())
        assert not any(im.shape == image.shape and torch.equal(im, image) for im in others), name
    train_photos = [photos[name] for name in data.EMBEDDED_TRAIN]
    for patch in split.val[:8]:
        assert any(_found_in(patch, photos[name]) for name in data.EMBEDDED_VAL)
        assert not any(_found_in(patch, photo) for photo in train_photos)


def test_random_patches_are_real_crops_spread_by_area():
    coords = torch.stack(torch.meshgrid(torch.arange(200), torch.arange(100), indexing="ij"))  # (2, 200, 100): y, x
    big = torch.cat([coords, torch.zeros(1, 200, 100, dtype=torch.long)]).to(torch.uint8)  # channel 2: image id 0
    small = torch.ones(3, 40, 50, dtype=torch.uint8)
    patches = data.random_patches([big, small], 2000, size=16, generator=torch.Generator().manual_seed(0))
    assert patches.shape == (2000, 3, 16, 16) and patches.dtype == torch.uint8
    from_big = patches[patches[:, 2, 0, 0] == 0].long()
    assert (from_big[:, 0].diff(dim=1) == 1).all() and (from_big[:, 1].diff(dim=2) == 1).all()  # contiguous crops
    share = len(from_big) / 2000  # crop positions: 185·85 in big, 25·35 in small
    assert share == pytest.approx(185 * 85 / (185 * 85 + 25 * 35), abs=0.03)
    assert data.random_patches(_images(4, size=32), 3, size=32).shape == (3, 3, 32, 32)
    with pytest.raises(InputError, match="smaller"):
        data.random_patches([small], 1, size=41)


def test_float_conversions_round_trip():
    every = torch.arange(256, dtype=torch.uint8)
    assert torch.equal(data.to_uint8(data.to_float(every)), every)
    assert data.to_uint8(torch.tensor([-0.5, 0.5, 1.5])).tolist() == [0, 128, 255]
    with pytest.raises(InputError, match="uint8"):
        data.to_float(torch.zeros(2))


class _OfflineCIFAR10:
    """Stands in for torchvision's CIFAR10 on a machine without the files or a network."""

    def __init__(self, root, train=True, download=False):
        if not download:
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to download it")
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


class _LocalCIFAR10:
    """Stands in for a CIFAR10 already at root: data is (N, 32, 32, 3) uint8 as in torchvision."""

    def __init__(self, root, train=True, download=False):
        self.data = np.zeros((10 if train else 4, 32, 32, 3), dtype=np.uint8)
        self.data[:, 3, 4] = (7, 8, 9)


def test_cifar10_offline_is_a_clear_error(tmp_path, monkeypatch):
    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", _OfflineCIFAR10)
    with pytest.raises(InputError, match="could not be downloaded.*cifar-10-python.tar.gz"):
        data.load_source(f"cifar10:{tmp_path}")
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", _LocalCIFAR10)
    split = data.load_source(f"cifar10:{tmp_path}", n_train=6, n_val=4)
    assert split.train.shape == (6, 3, 32, 32) and split.val.shape == (4, 3, 32, 32)
    assert split.train[0, :, 3, 4].tolist() == [7, 8, 9]


@pytest.mark.parametrize("source", ["imagenet", "folder", "folder:", "imagenet32:", "embedded:x", "s3://bucket"])
def test_bad_source_strings(source):
    with pytest.raises(InputError):
        data.load_source(source, n_train=1, n_val=1)
    with pytest.raises(InputError, match="unknown data source.*imagenet32:PATH.*folder:PATH"):
        data.load_source("imagenet")
