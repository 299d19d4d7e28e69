"""What the network sees during training: the training batches and the validation set it is scored on.

Taught in notebook ``03_training``. `train.Trainer` builds one `Batches` and calls it with each batch's sample indices;
`train.fit` builds the validation tensors once with `validation_set` and scores the model on them after every epoch
with `validate`.

The dataset lives on the training device as uint8 and every batch — indexing, crops of whole photos, flips or the
eight square symmetries, source/target swap, fresh noise — is produced there as whole-batch tensor operations, with no
per-sample Python loop and no DataLoader (measured in benchmarks/train_throughput.py: a DataLoader over single samples
is the slow part of a typical implementation). All randomness comes from the one generator the trainer passes in, so
its state alone (saved in the resume state) fixes every future batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from n2n_lib.augment import AugmentConfig, augment
from n2n_lib.crops import PhotoData, dihedral
from n2n_lib.data import to_float
from n2n_lib.errors import InputError
from n2n_lib.metrics import psnr
from n2n_lib.noise import add_noise
from n2n_lib.pairs import PairData

if TYPE_CHECKING:  # train imports this module; the config is only a type hint here
    from n2n_lib.train import TrainConfig


class Batches:
    """Makes (source, target) float batches on the device from the stored uint8 tensors.

    Stored pairs (`PairData`, ``noise=None``): source and target are the two stored noisy realisations (the target is
    the clean patch for Noise2Clean). With a noise spec, both are fresh noise drawn on the clean patches every batch.
    Whole photos (`PhotoData`): sample i is a fresh random crop of training photo i mod N, in one of its eight square
    symmetries when ``flips``, with fresh noise (a noise spec is required).
    """

    def __init__(
        self, data: PairData | PhotoData, config: TrainConfig, device: torch.device, generator: torch.Generator
    ):
        self.config, self.gen = config, generator
        self.spec = config.noise  # a NoiseSpec (TrainConfig parses it), or None for the stored pairs
        self.photos = data.train.to(device) if isinstance(data, PhotoData) else None
        self.augment = AugmentConfig(
            flips=config.flips and self.photos is None,  # photo crops get `dihedral`: flips and 90° rotations at once
            swap=config.swap and config.targets == "noisy",
            color=config.color,
        )
        if self.photos is not None:
            if self.spec is None:
                raise InputError("training on whole photos needs a noise spec for fresh noise (e.g. gaussian:0-50).")
            self.crop = data.crop
            return
        needs_clean = self.spec is not None or config.targets == "clean"
        if needs_clean and data.train_clean is None:
            why = "fresh synthetic noise" if self.spec is not None else "clean targets (Noise2Clean)"
            raise InputError(
                f"{why} needs clean training patches, but dataset {data.meta.get('source', '?')} has "
                "none (noisy pairs only); train on the stored pairs with noise=None and targets='noisy'."
            )
        self.a = data.train_a.to(device) if self.spec is None else None
        self.b = data.train_b.to(device) if self.spec is None else None
        self.clean = data.train_clean.to(device) if data.train_clean is not None else None

    def _clean(self, idx: Tensor) -> Tensor | None:
        if self.photos is None:
            return to_float(self.clean[idx]) if self.clean is not None else None  # (B, 3, H, W)
        crops = self.photos.crops(idx % len(self.photos), self.crop, self.gen)  # (B, 3, crop, crop) uint8
        if self.config.flips:
            u = torch.rand(idx.shape[0], 3, generator=self.gen, device=idx.device)
            crops = dihedral([crops], u)[0]
        return to_float(crops)

    def __call__(self, idx: Tensor) -> tuple[Tensor, Tensor]:
        """The batch of samples `idx` (B,) int64 on the device: (source, target), each (B, 3, H, W) float."""
        clean = self._clean(idx)
        if self.spec is None:
            source = to_float(self.a[idx])
            target = to_float(self.b[idx]) if self.config.targets == "noisy" else clean
        else:
            source = add_noise(clean, self.spec, generator=self.gen)
            target = add_noise(clean, self.spec, generator=self.gen) if self.config.targets == "noisy" else clean
        source, target, _ = augment(source, target, self.augment, generator=self.gen)
        return source, target


def validation_set(data: PairData | PhotoData, config: TrainConfig, device: torch.device) -> tuple[Tensor, Tensor]:
    """(noisy, clean) float validation tensors, each (M, 3, H, W) in [0, 1] on `device` (noisy may leave [0, 1]).

    Without a noise spec the noisy side is the stored one; with a spec it is drawn once, seeded by ``config.seed``, so
    every epoch (and every run with that seed) is scored on the same noisy images.
    """
    clean = to_float(data.val_clean.to(device))
    if config.noise is None:
        return to_float(data.val_noisy.to(device)), clean
    gen = torch.Generator(device=device).manual_seed(config.seed + 2)
    return add_noise(clean, config.noise, generator=gen), clean


@torch.no_grad()
def validate(
    model: nn.Module, noisy: Tensor, clean: Tensor, autocast: dict, batch_size: int = 256
) -> tuple[float, float]:
    """(mean squared error against clean, mean PSNR in dB) of `model` on the validation tensors.

    noisy, clean: (M, 3, H, W) from `validation_set`; autocast: keyword arguments for ``torch.autocast``
    (`train.Trainer.autocast`). The model is put back in training mode afterwards.
    """
    model.eval()
    preds = []
    for i in range(0, noisy.shape[0], batch_size):
        with torch.autocast(**autocast):
            preds.append(model(noisy[i : i + batch_size].contiguous(memory_format=torch.channels_last)).float())
    model.train()
    pred = torch.cat(preds)  # (M, 3, H, W)
    return (pred - clean).pow(2).mean().item(), psnr(pred, clean).item()
