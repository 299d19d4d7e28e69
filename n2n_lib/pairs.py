"""Report-style noisy-pair datasets: `prepare` writes them, `load_pairs` reads them (notebook ``01_data_preparation``).

`prepare` adds two independent noise realisations to clean patches from `n2n_lib.data.load_source` and writes the EPFL
EE-559 mini-project format into a folder, which training reads back with `load_pairs`:

* ``train_data.pkl``  — tuple (noisy_a, noisy_b), uint8 (N, 3, 32, 32) each: two noisy copies of the same patches
* ``val_data.pkl``    — tuple (val_noisy, val_clean), uint8 (M, 3, 32, 32) each
* ``train_clean.pkl`` — uint8 (N, 3, 32, 32); only for clean sources (fresh noise, Noise2Clean baselines)
* ``dataset.json``    — provenance; written last, so a folder without it was never finished
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from n2n_lib import __version__
from n2n_lib.data import _rng, load_source, to_float, to_uint8
from n2n_lib.errors import InputError
from n2n_lib.io import load_json, load_torch, save_json, save_torch
from n2n_lib.noise import add_noise, parse_noise

_PREPARE = "run `python -m n2n_lib prepare` (see --help) to create the dataset folder again"
_CHUNK = 4096  # patches noised at a time in `prepare`, to bound the float32 memory


@dataclass
class PairData:
    """A prepared dataset as training reads it: two noisy copies of each patch, plus validation pairs."""

    train_a: Tensor  # uint8 (N, 3, H, W) first noisy realisation
    train_b: Tensor  # uint8 (N, 3, H, W) second, independent noisy realisation of the same patches
    train_clean: Tensor | None  # uint8 (N, 3, H, W); None for noisy-only sources (epfl)
    val_noisy: Tensor  # uint8 (M, 3, H, W)
    val_clean: Tensor  # uint8 (M, 3, H, W)
    meta: dict  # provenance: source, noise spec, seed, counts, created_by

    def __len__(self) -> int:
        return self.train_a.shape[0]


def _noisy(clean: Tensor, noise: str, generator: torch.Generator) -> Tensor:
    """uint8 (N, 3, H, W) clean -> uint8 noisy copy, noised in chunks of `_CHUNK` patches."""
    chunks = [to_uint8(add_noise(to_float(c), noise, generator=generator, clip=True)) for c in clean.split(_CHUNK)]
    return torch.cat(chunks) if chunks else clean.clone()


def _epfl_pairs(arg: str, n_train: int, n_val: int) -> PairData:
    if not arg:
        raise InputError("source 'epfl:' needs a path: 'epfl:FOLDER' with train_data.pkl and val_data.pkl in it.")
    data = load_pairs(arg)
    if len(data) < n_train or len(data.val_noisy) < n_val:
        raise InputError(
            f"EPFL folder {arg} holds {len(data)} training pairs and {len(data.val_noisy)} validation "
            f"images, fewer than n_train={n_train}, n_val={n_val}; lower them."
        )
    meta = {"source": f"epfl:{arg}", "noise": data.meta.get("noise"), "n_train": n_train, "n_val": n_val}
    # clone(): torch.save writes a view's whole storage, so an uncloned slice would save every pair
    a, b = (x[:n_train].clone() for x in (data.train_a, data.train_b))
    return PairData(a, b, None, data.val_noisy[:n_val].clone(), data.val_clean[:n_val].clone(), meta)


def _noised(source: str, noise: str, n_train: int, n_val: int, patch: int, seed: int) -> PairData:
    spec = str(parse_noise(noise))  # before the slow part, so a typo fails at once
    split = load_source(source, n_train, n_val, patch, seed)
    if split.val is None:
        raise InputError(f"source {source!r} has no validation images (a folder needs at least two images); add one.")
    meta = {"source": source, "noise": spec, "seed": seed, "patch": patch, "n_train": n_train, "n_val": n_val}
    # Separate generators: the two realisations are independent draws, and each is reproducible on its own.
    a, b = _noisy(split.train, spec, _rng(seed, 2)), _noisy(split.train, spec, _rng(seed, 3))
    return PairData(a, b, split.train, _noisy(split.val, spec, _rng(seed, 4)), split.val, meta)


def prepare(
    source: str,
    out_dir: str | os.PathLike,
    noise: str = "gaussian:25",
    n_train: int = 6250,
    n_val: int = 500,
    patch: int = 32,
    seed: int = 0,
) -> Path:
    """Write a report-style dataset folder and return its path.

    Clean sources (see `load_source`) get two independent noisy realisations of every training patch
    (``add_noise(clean / 255, noise, clip=True)``, rounded to uint8) and one of every validation patch.
    ``epfl:PATH`` is validated and copied (its first n_train pairs and n_val validation images); `noise` is ignored.
    Every file is written atomically; ``dataset.json`` is removed first and written last, so a folder interrupted
    half-way is recognisably incomplete.
    """
    kind, _, arg = str(source).partition(":")
    data = _epfl_pairs(arg, n_train, n_val) if kind == "epfl" else _noised(source, noise, n_train, n_val, patch, seed)
    out = Path(out_dir)
    (out / "dataset.json").unlink(missing_ok=True)
    files = ["train_data.pkl", "val_data.pkl"]
    if data.train_clean is not None:  # written first: train_clean.pkl without dataset.json marks an unfinished run
        save_torch(data.train_clean, out / "train_clean.pkl")
        files.append("train_clean.pkl")
    else:
        (out / "train_clean.pkl").unlink(missing_ok=True)  # a stale one from an earlier run would not match
    save_torch((data.train_a, data.train_b), out / "train_data.pkl")
    save_torch((data.val_noisy, data.val_clean), out / "val_data.pkl")
    save_json({**data.meta, "files": files, "created_by": f"n2n_lib {__version__}"}, out / "dataset.json")
    return out


def _uint8_images(x: object, what: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != 3:
        shape = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise InputError(f"{what} must be an (N, 3, H, W) uint8 tensor, found {shape}; {_PREPARE}.")
    if x.dtype != torch.uint8:
        raise InputError(
            f"{what} holds {x.dtype} images; n2n-lab stores uint8 0-255. Convert with "
            f"n2n_lib.data.to_uint8 and save again, or {_PREPARE}."
        )
    return x


def _pair(obj: object, what: str) -> tuple[Tensor, Tensor]:
    """Validate a 2-tuple of uint8 (N, 3, H, W) tensors of equal shape."""
    if not isinstance(obj, (tuple, list)) or len(obj) != 2:
        found = f"{len(obj)}-{type(obj).__name__}" if isinstance(obj, (tuple, list)) else type(obj).__name__
        raise InputError(f"{what} must hold a tuple of two image tensors, found a {found}; {_PREPARE}.")
    first, second = _uint8_images(obj[0], f"{what}[0]"), _uint8_images(obj[1], f"{what}[1]")
    if first.shape != second.shape:
        raise InputError(f"{what}: shapes {tuple(first.shape)} and {tuple(second.shape)} differ; {_PREPARE}.")
    return first, second


def _dataset_files(folder: Path) -> tuple[dict, list[str]]:
    """(meta, names of the files `folder` must hold); InputError unless it is a finished dataset folder."""
    if not folder.is_dir():
        raise InputError(f"dataset folder {folder} does not exist or is a file (pass the folder); {_PREPARE}.")
    if (folder / "dataset.json").is_file():
        meta = load_json(folder / "dataset.json", what="dataset description")
        if not isinstance(meta, dict):
            raise InputError(f"{folder / 'dataset.json'} is not a dataset description; {_PREPARE}.")
        files = meta.get("files", ["train_data.pkl", "val_data.pkl"])
    elif (folder / "train_clean.pkl").is_file():  # prepare writes it first and dataset.json last
        raise InputError(f"dataset folder {folder} is incomplete: dataset.json missing (interrupted?); {_PREPARE}.")
    elif not (folder / "train_data.pkl").is_file():
        raise InputError(f"{folder} holds no dataset (neither dataset.json nor train_data.pkl); {_PREPARE}.")
    else:  # an EPFL mini-project folder: the pair pickles alone
        meta, files = {"source": f"epfl:{folder}"}, ["train_data.pkl", "val_data.pkl"]
    missing = [name for name in files if not (folder / name).is_file()]
    if missing:
        raise InputError(f"dataset folder {folder} is incomplete: {', '.join(missing)} missing; {_PREPARE}.")
    return meta, files


def load_pairs(path: str | os.PathLike) -> PairData:
    """Read a prepared dataset folder, or an EPFL-style folder (train_data.pkl + val_data.pkl, no dataset.json).

    Every file is loaded with ``weights_only=True`` (a pickle that would run code is refused) and validated: uint8
    (N, 3, H, W) tensors, a and b of equal shape, val noisy and clean of equal shape, train_clean with the same N.
    """
    folder = Path(path).expanduser()
    meta, files = _dataset_files(folder)

    def load(name: str) -> object:
        return load_torch(folder / name, what="dataset file", fix=_PREPARE)

    a, b = _pair(load("train_data.pkl"), str(folder / "train_data.pkl"))
    val_noisy, val_clean = _pair(load("val_data.pkl"), str(folder / "val_data.pkl"))
    clean = None
    if "train_clean.pkl" in files:
        clean = _uint8_images(load("train_clean.pkl"), str(folder / "train_clean.pkl"))
        if clean.shape != a.shape:
            raise InputError(f"{folder}: train_clean {tuple(clean.shape)} != pairs {tuple(a.shape)}; {_PREPARE}.")
    return PairData(a, b, clean, val_noisy, val_clean, meta)
