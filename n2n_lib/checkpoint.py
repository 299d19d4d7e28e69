"""Checkpoints: trained weights with the configuration and history that produced them.

Taught in notebook ``03_training``. A checkpoint is a plain dict of tensors, numbers, strings and lists, written
atomically and read back with ``torch.load(..., weights_only=True)`` — so a checkpoint from a stranger cannot run code
on your machine. Keys: ``format``, ``model_config``, ``model_state``, ``train_config``, ``history``, ``epoch``,
``val_psnr``, ``data``.
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
