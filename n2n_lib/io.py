"""Safe, atomic file input/output for checkpoints, datasets, JSON and CSV.

Two rules hold everywhere in n2n_lib (notebook 01 explains them):

* Nothing is half-written: every file is written to a temporary file in the same folder, flushed to disk, then renamed
  over the destination, so an interrupted run leaves either the old file or the new one, never a truncated one.
* No code runs from data: torch pickles are read with ``torch.load(..., weights_only=True)``, which refuses any pickle
  that would construct objects other than tensors and plain Python containers.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from n2n_lib.errors import InputError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success it is fsynced and renamed onto `path`.

    On any exception the temporary file is removed and `path` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes owner-only files; give the usual permissions
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` and atomically move the result to `path`. Returns `path`."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    """`torch.save` `obj` (tensors, numbers, strings, lists, dicts, tuples) atomically to `path`."""
    return atomic_write(path, lambda tmp: torch.save(obj, tmp))


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write `obj` as indented JSON atomically to `path`."""
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n"))


def load_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """Read a JSON file, with a clear error when it is missing or not valid JSON."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist; check the path or create it first.")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path} is not valid JSON ({exc}); delete it and create it again.") from exc


def load_torch(path: str | os.PathLike, what: str = "file", fix: str = "create it again") -> Any:
    """Load a torch pickle safely (``weights_only=True``, onto the CPU).

    what: how to call the file in error messages ("checkpoint", "dataset file").
    fix: what the user should do when the file is missing, truncated or corrupt.

    Raises InputError when the file is missing, truncated, corrupt, or contains anything but tensors and plain
    containers (a pickle that would run code is refused before any of its code runs).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} {path} does not exist; {fix}.")
    if path.is_dir():
        raise InputError(f"{what} {path} is a folder, not a file; pass the file inside it.")
    try:
        with warnings.catch_warnings():  # torch warns about protocol-4 pickles (imagenet-style files) it then refuses
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise InputError(
            f"{what} {path} was refused: it holds more than tensors and plain values, so loading it could run code "
            f"({_refusal_reason(exc)}). Only load files you created yourself or got from someone you trust; {fix}."
        ) from exc
    except (EOFError, RuntimeError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{what} {path} is truncated or corrupt ({type(exc).__name__}); {fix}.") from exc


def _refusal_reason(exc: Exception) -> str:
    """What torch's weights_only unpickler refused ("unsupported GLOBAL posix.system …"), without colour codes.

    torch's message opens with generic advice; the specific reason is the first paragraph that names a global, an
    operand or the unpickler, up to where torch explains how to allow that global.
    """
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).replace("WeightsUnpickler error:", "\n\n")
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    specific = [p for p in paragraphs if re.search(r"global|operand|unsupported", p, re.I) and "PyTorch 2.6" not in p]
    reason = (specific or paragraphs or [type(exc).__name__])[0]
    # torch goes on to say how to allow the global: never the advice for a file that was refused for safety
    return re.split(r"\s*(?:Please use|Check the documentation)", reason)[0].rstrip(" .")[:160]
