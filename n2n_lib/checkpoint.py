"""Checkpoints: trained weights with the configuration and history that produced them, and the resume state.

Taught in notebook ``03_training``. Both files are plain dicts of tensors, numbers, strings and lists, written
atomically and read back with ``torch.load(..., weights_only=True)`` — so a file from a stranger cannot run code on
your machine.

* The best-model checkpoint (``model.pt``), keys: ``format``, ``model_config``, ``model_state``, ``train_config``,
  ``history``, ``epoch``, ``val_psnr``, ``data``.
* The resume state (``model.resume.pt``, `resume_path`), rewritten by `train.fit` after every epoch so an interrupted
  run continues exactly: ``format``, the same ``model_config``, ``train_config`` and ``data``, the trainer's
  ``model_state``, ``optimizer``, ``scheduler``, ``order_gen`` and ``noise_gen`` (`train.Trainer.state_dict`), and the
  run's ``history``, ``epoch`` (epochs done), ``best_epoch`` and ``val_psnr`` (the best so far). Files written before
  the ``format`` field existed (version 0: the same keys, no ``format``) still load.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from n2n_lib.errors import InputError
from n2n_lib.io import load_torch, save_torch
from n2n_lib.model import UNet, UNetConfig

FORMAT = "n2n-lab-checkpoint-v1"
FIX = "train one with `python -m n2n_lib train` or pass another file"
RESUME_FORMAT = "n2n-lab-resume-v1"
RESUME_KEYS = (  # besides format, model_config, train_config and data
    *("model_state", "optimizer", "scheduler", "order_gen", "noise_gen"),  # train.Trainer.state_dict
    *("history", "epoch", "best_epoch", "val_psnr"),
)
RESUME_FIX = "delete it and start a fresh run without resume"


def save_checkpoint(path: str | os.PathLike, model: nn.Module, **extra: Any) -> Path:
    """Write `model`'s weights and config plus `extra` entries (train_config, history, epoch, …) atomically."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return save_torch({"format": FORMAT, "model_config": model.config.to_dict(), "model_state": state, **extra}, path)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Load and validate a checkpoint dict (weights_only)."""
    ckpt = load_torch(path, what="checkpoint", fix=FIX)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        found = ckpt.get("format") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise InputError(
            f"checkpoint {path} is not an n2n-lab checkpoint (format {found!r}, expected {FORMAT!r}); {FIX}."
        )
    return ckpt


def load_model(path: str | os.PathLike, device: str = "cpu") -> tuple[UNet, dict]:
    """Rebuild the U-Net stored in checkpoint `path`; returns (model in eval mode on `device`, checkpoint dict)."""
    ckpt = read_checkpoint(path)
    try:
        model = UNet(UNetConfig.from_dict(ckpt["model_config"]))
        model.load_state_dict(ckpt["model_state"])
    except (KeyError, TypeError, RuntimeError, InputError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise InputError(f"checkpoint {path} has weights that do not fit its model config ({first}); {FIX}.") from exc
    bad = [name for name, t in model.state_dict().items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise InputError(
            f"checkpoint {path} holds NaN or infinite weights ({', '.join(bad[:3])}); the run that wrote "
            f"it diverged. Train again with a lower learning rate, or {FIX}."
        )
    return model.to(device).eval(), ckpt


def resume_path(checkpoint: str | os.PathLike) -> Path:
    """Where `train.fit` keeps the resume state for `checkpoint` (``model.pt`` → ``model.resume.pt``)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".resume.pt")


def save_resume(path: str | os.PathLike, trainer_state: dict[str, Any], **extra: Any) -> Path:
    """Write a resume state atomically: `trainer_state` (`train.Trainer.state_dict`) plus `extra` entries.

    extra: model_config, train_config and data (what `load_resume` checks against), and the run's history, epoch
    (epochs done), best_epoch and val_psnr (the best validation PSNR so far, in dB).
    """
    return save_torch({"format": RESUME_FORMAT, **trainer_state, **extra}, path)


def load_resume(path: str | os.PathLike, record: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load and validate the resume state at `path` (weights_only); returns the dict `save_resume` wrote.

    Accepts version 1 (``format`` = RESUME_FORMAT) and version 0 (written before the ``format`` field: the same keys
    without it). record: the model_config and train_config dicts of the run that wants to continue; the resume state
    must have been made with the same ones, except for where it runs (``device``) and whether it is compiled
    (``compile``), which do not change what is learned. None skips that check.
    """
    if not Path(path).exists():
        raise InputError(f"resume state {path} does not exist; start a fresh run without resume.")
    state = load_torch(path, what="resume state", fix=RESUME_FIX)
    fmt = state.get("format") if isinstance(state, dict) else None
    version0 = isinstance(state, dict) and fmt is None and "optimizer" in state
    if fmt != RESUME_FORMAT and not version0:
        found = f"format {fmt!r}" if fmt is not None else f"a {type(state).__name__} without a format field"
        raise InputError(
            f"resume state {path} is not an n2n-lab resume file ({found}, expected format {RESUME_FORMAT!r}); "
            f"{RESUME_FIX}."
        )
    missing = [k for k in RESUME_KEYS if k not in state]
    if missing:
        raise InputError(f"resume state {path} lacks {', '.join(missing)}; {RESUME_FIX}.")
    for key in ("model_config", "train_config") if record is not None else ():
        saved, now = state.get(key, {}), record[key]
        diff = sorted(k for k in set(saved) | set(now) if k not in {"device", "compile"} and saved.get(k) != now.get(k))
        if diff:
            raise InputError(
                f"resume state {path} was made with a different {key} ({', '.join(diff)} differ); "
                f"use the same settings as the interrupted run, or {RESUME_FIX}."
            )
    return state


def matching_resume(checkpoint: str | os.PathLike, record: dict[str, Any]) -> dict[str, Any] | None:
    """The resume state beside the best-model file `checkpoint`, if both exist and the state belongs to the run
    described by `record` (same model_config and train_config, see `load_resume`); None otherwise.

    A resume state of another run is reported in one printed line and gives None (the caller starts afresh).
    """
    path = resume_path(checkpoint)
    if not path.is_file() or not Path(checkpoint).is_file():
        return None
    try:
        return load_resume(path, record)
    except InputError as exc:
        print(f"not resuming: {str(exc).split(';')[0]}; starting afresh", flush=True)
        return None
