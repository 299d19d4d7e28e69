"""Reading the downsampled ImageNet 32×32 batches safely (taught in notebook ``01_data_preparation``).

The official files (Chrabaszcz, Loshchilov & Hutter 2017, "A downsampled variant of ImageNet", from image-net.org) are

* pickles ``train_data_batch_1`` … ``train_data_batch_10`` and ``val_data``, each a dict with ``'data'`` (N×3072 uint8)
  and ``'labels'`` (and ``'mean'``), or
* ``.npz`` archives with the same keys.

Each row of ``'data'`` is one image stored channel-planar: 1024 red values, then 1024 green, then 1024 blue, each a
32×32 image in row-major order. So ``data.reshape(N, 3, 32, 32)`` is already the (N, C, H, W) layout n2n-lab uses.

The pickles are plain Python pickles of numpy arrays: ``torch.load(weights_only=True)`` cannot read them, and a plain
``pickle.load`` would call whatever function a tampered file names. `_NumpyOnlyUnpickler` hands out only the handful of
numpy functions that rebuild arrays and refuses every other name before anything is called.
"""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from torch import Tensor

from n2n_lib.errors import InputError

_PIXELS = 3 * 32 * 32  # values per image in a 'data' row
_TRAIN_FILE = re.compile(r"^train_data_batch_(\d+)(\.npz)?$")
_VAL_FILES = ("val_data", "val_data.npz")
# What a truncated or foreign file raises while being unpickled or unzipped (InputError, a refusal, is kept apart).
_UNREADABLE = (pickle.UnpicklingError, EOFError, zipfile.BadZipFile, OSError, ValueError, TypeError, AttributeError)


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """Stand-in for ``_codecs.encode`` that only does what numpy pickles need: latin-1 text back to bytes."""
    if encoding != "latin1":
        raise InputError(f"ImageNet32 file refused: it encodes text as {encoding!r}, where numpy uses latin1.")
    return text.encode("latin1")


def _allowed_globals() -> dict[tuple[str, str], object]:
    """(module, name) -> object for everything a numpy-array pickle may refer to, under numpy 1 and 2 spellings."""
    core = np._core if hasattr(np, "_core") else np.core  # numpy 2 renamed numpy.core to numpy._core
    table: dict[tuple[str, str], object] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,  # protocol-2 pickles from Python 3 store bytes this way
    }
    for prefix in ("numpy.core", "numpy._core"):  # a file written under either numpy major version
        table[(f"{prefix}.multiarray", "_reconstruct")] = core.multiarray._reconstruct  # ndarray, protocols 2-4
        table[(f"{prefix}.multiarray", "scalar")] = core.multiarray.scalar  # numpy integer labels
        table[(f"{prefix}.numeric", "_frombuffer")] = core.numeric._frombuffer  # ndarray, protocol 5
    return table


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays, dicts, lists and numbers, and nothing else."""

    _allowed = _allowed_globals()

    def __init__(self, file: BinaryIO, path: Path):
        super().__init__(file, encoding="latin1")  # latin1: the only way to read Python 2 numpy pickles
        self.path = path  # named in the refusal message

    def find_class(self, module: str, name: str) -> object:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise InputError(
                f"ImageNet32 file {self.path} refused: it names {module}.{name}, which would run code "
                "when loaded; an ImageNet32 batch holds only numpy arrays. Download the file again from image-net.org."
            ) from None


def _read_pickle(path: Path) -> object:
    with open(path, "rb") as f:
        return _NumpyOnlyUnpickler(f, path).load()


def _read_npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as archive:  # allow_pickle=False: object arrays could run code
        return {key: archive[key] for key in archive.files if key == "data"}


def read_batch(path: str | Path) -> Tensor:
    """One ImageNet32 batch file (pickle or .npz) as uint8 (N, 3, 32, 32).

    Raises InputError when the file is missing, corrupt, would run code, or its ``'data'`` is not N×3072 uint8.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"ImageNet32 batch {path} does not exist; check the path (train_data_batch_* or val_data).")
    try:
        batch = _read_npz(path) if path.suffix == ".npz" else _read_pickle(path)
    except InputError:
        raise
    except _UNREADABLE as exc:
        raise InputError(
            f"ImageNet32 batch {path} is truncated or not an ImageNet32 file ({type(exc).__name__}: {exc}); "
            "download it again."
        ) from exc
    data = batch.get("data") if isinstance(batch, dict) else None
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _PIXELS:
        found = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise InputError(
            f"ImageNet32 batch {path}: expected a dict whose 'data' is an N×{_PIXELS} uint8 array, found {found}; "
            "use the 32×32 ImageNet files (Imagenet32_train / Imagenet32_val)."
        )
    return torch.from_numpy(data.reshape(-1, 3, 32, 32).copy())  # channel-planar rows are already (C, H, W)


def _batch_files(path: Path) -> tuple[list[Path], Path | None]:
    """(training batch files in numeric order, the val_data file or None). A single file is one training stream."""
    if path.is_file():
        return [path], None
    if not path.is_dir():
        raise InputError(f"ImageNet32 path {path} does not exist; pass a batch file or the folder that holds them.")
    numbered = [(int(m[1]), p) for p in path.iterdir() if (m := _TRAIN_FILE.match(p.name))]
    train = [p for _, p in sorted(numbered)]  # numeric order: batch_2 before batch_10
    val = next((path / name for name in _VAL_FILES if (path / name).is_file()), None)
    if not train:
        raise InputError(f"ImageNet32 folder {path} has no train_data_batch_* files; unpack Imagenet32_train there.")
    return train, val


def load_imagenet32(path: str | Path, n_train: int, n_val: int) -> tuple[Tensor, Tensor]:
    """(train, val) uint8 (n_train, 3, 32, 32) and (n_val, 3, 32, 32) from ImageNet32 batch files.

    path: one batch file, or a folder of ``train_data_batch_*`` (and optionally ``val_data``) files.
    Train is the first n_train images in batch order. Val is the first n_val images of ``val_data`` when the folder
    has one, otherwise the n_val images that follow the training ones. Files are read only as far as needed.
    """
    path = Path(path).expanduser()
    train_files, val_file = _batch_files(path)
    need = n_train + (0 if val_file else n_val)
    parts, have = [], 0
    for file in train_files:
        if have >= need:
            break
        parts.append(read_batch(file))
        have += len(parts[-1])
    if have < need:
        raise InputError(
            f"ImageNet32 {path} holds {have} training images but {n_train} training"
            f"{'' if val_file else f' + {n_val} validation'} were asked for; lower n_train/n_val or add batch files."
        )
    stream = torch.cat(parts)
    if val_file is None:
        return stream[:n_train].clone(), stream[n_train:need].clone()
    val = read_batch(val_file)
    if len(val) < n_val:
        raise InputError(f"ImageNet32 {val_file} holds {len(val)} images but n_val={n_val}; lower n_val.")
    return stream[:n_train].clone(), val[:n_val].clone()
