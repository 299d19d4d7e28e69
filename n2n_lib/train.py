"""The one training loop, for Noise2Noise (noisy targets) and Noise2Clean (clean targets).

Taught in notebook ``03_training``; notebooks, the CLI, the tuner and the benchmarks all call `fit`. The dataset lives
on the training device and every batch — indexing, augmentation, noise — is produced there as whole-batch tensor
operations, with no per-sample Python loop and no DataLoader (measured in benchmarks/train_throughput.py: a
DataLoader over single samples is the slow part of a typical implementation). `Trainer` holds one run and takes one
optimisation step at a time; `fit` drives it epoch by epoch and the throughput benchmark times the very same `step`.
Speed settings: channels_last everywhere; bf16 autocast on CUDA and on CPUs that compute bf16 in hardware
(`n2n_lib.hardware.use_bf16`); fused optimizer steps and cudnn autotuning on CUDA; ``torch.compile`` behind
``TrainConfig.compile``.
`fit` takes either report-style patch pairs (`n2n_lib.pairs.PairData`) or whole photos (`n2n_lib.crops.PhotoData`, a
fresh random crop per sample). Each epoch ends with a validation pass against clean patches; the checkpoint with the
best validation PSNR is kept, because training on few images overfits (held-out PSNR rises, then falls). A resume file
written after every epoch holds the model, optimizer, scheduler and random-generator states, so an interrupted run
continues exactly.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from n2n_lib.augment import AugmentConfig, augment
from n2n_lib.checkpoint import read_checkpoint, save_checkpoint
from n2n_lib.crops import PhotoData, dihedral
from n2n_lib.data import to_float
from n2n_lib.errors import InputError
from n2n_lib.hardware import configure_cpu_threads, pick_device, use_bf16
from n2n_lib.io import load_torch, save_torch
from n2n_lib.losses import default_loss, get_loss
from n2n_lib.metrics import psnr
from n2n_lib.model import UNet, UNetConfig
from n2n_lib.noise import add_noise, parse_noise
from n2n_lib.pairs import PairData


@dataclass
class TrainConfig:
    """How to train. Defaults train the small preset on the embedded patches in about a minute on a laptop CPU."""

    epochs: int = 10
    batch_size: int = 32
    optimizer: str = "adam"  # "adam" (the paper: β1=0.9, β2=0.99) or "sgd" (with momentum, the report)
    lr: float = 1e-3
    momentum: float = 0.9  # SGD only
    rampdown: float = 0.3  # final fraction of training during which the learning rate ramps down to 0 (paper)
    targets: str = "noisy"  # "noisy": Noise2Noise; "clean": Noise2Clean, the supervised baseline
    noise: str | None = None  # None: use the stored noisy pairs; a spec: fresh noise on the clean patches every batch
    loss: str | None = None  # None: the noise type's matching loss (l2 for Gaussian)
    flips: bool = True
    swap: bool = True  # exchange source and target per sample (Noise2Noise only)
    color: bool = False  # brightness/hue jitter
    seed: int = 0
    device: str = "auto"  # "auto" (cuda, then mps, then cpu) or a torch device string
    precision: str = "auto"  # "auto" (bf16 where the hardware has it natively: hardware.use_bf16), "fp32" or "bf16"
    max_batches: int | None = None  # cap on batches per epoch, for quick experiments
    compile: bool = False  # torch.compile the model for training (minutes of compiling; pays off on long GPU runs)

    def validate(self) -> None:
        """Raise InputError naming the first bad field and its allowed values."""
        checks = [
            (self.epochs >= 1, "epochs", "a whole number ≥ 1"),
            (self.batch_size >= 1, "batch_size", "a whole number ≥ 1"),
            (self.optimizer in ("adam", "sgd"), "optimizer", "'adam' or 'sgd'"),
            (math.isfinite(self.lr) and self.lr > 0, "lr", "a positive number such as 1e-3"),
            (0 <= self.momentum < 1, "momentum", "a number in [0, 1)"),
            (0 <= self.rampdown <= 1, "rampdown", "a fraction in [0, 1]"),
            (self.targets in ("noisy", "clean"), "targets", "'noisy' (Noise2Noise) or 'clean' (Noise2Clean)"),
            (self.precision in ("auto", "fp32", "bf16"), "precision", "'auto', 'fp32' or 'bf16'"),
            (self.max_batches is None or self.max_batches >= 1, "max_batches", "None or a whole number ≥ 1"),
            (isinstance(self.compile, bool), "compile", "True or False"),
        ]
        for ok, name, allowed in checks:
            if not ok:
                raise InputError(f"training setting {name}={getattr(self, name)!r} is invalid; use {allowed}.")
        if self.noise is not None:
            parse_noise(self.noise)
        get_loss(self.loss_name)

    @property
    def loss_name(self) -> str:
        if self.loss is not None:
            return self.loss
        return default_loss(self.noise) if self.noise is not None else "l2"


@dataclass
class FitResult:
    """What `fit` returns: the model with its best weights loaded, and the per-epoch history."""

    model: UNet
    history: dict[str, list[float]]
    best_epoch: int
    best_val_psnr: float
    checkpoint: Path | None = None
    device: str = "cpu"


def rampdown_factor(step: int, total: int, rampdown: float) -> float:
    """Learning-rate multiplier: 1, then a cosine² ramp to 0 over the last `rampdown` fraction of the steps."""
    start = total * (1 - rampdown)
    if rampdown <= 0 or step < start:
        return 1.0
    t = (step - start) / (total * rampdown)  # 0 → 1 over the ramp
    return (0.5 + 0.5 * math.cos(math.pi * min(t, 1.0))) ** 2


def resume_path(checkpoint: str | os.PathLike) -> Path:
    """Where `fit` keeps the resume state for `checkpoint` (``model.pt`` → ``model.resume.pt``)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + ".resume.pt")


HISTORY_KEYS = ("epoch", "train_loss", "val_loss", "val_psnr", "lr", "seconds")


class _Batches:
    """Makes (source, target, clean) float batches on the device from the stored uint8 tensors."""

    def __init__(
        self, data: PairData | PhotoData, config: TrainConfig, device: torch.device, generator: torch.Generator
    ):
        self.config, self.gen = config, generator
        self.spec = parse_noise(config.noise) if config.noise is not None else None
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
        clean = self._clean(idx)
        if self.spec is None:
            source = to_float(self.a[idx])
            target = to_float(self.b[idx]) if self.config.targets == "noisy" else clean
        else:
            source = add_noise(clean, self.spec, generator=self.gen)
            target = add_noise(clean, self.spec, generator=self.gen) if self.config.targets == "noisy" else clean
        source, target, _ = augment(source, target, self.augment, generator=self.gen)
        return source, target


def _validation_set(data: PairData | PhotoData, config: TrainConfig, device: torch.device) -> tuple[Tensor, Tensor]:
    """(noisy, clean) float validation tensors; with a noise spec the noisy side is drawn once, seeded, from it."""
    clean = to_float(data.val_clean.to(device))
    if config.noise is None:
        return to_float(data.val_noisy.to(device)), clean
    gen = torch.Generator(device=device).manual_seed(config.seed + 2)
    return add_noise(clean, config.noise, generator=gen), clean


@torch.no_grad()
def validate(
    model: nn.Module, noisy: Tensor, clean: Tensor, autocast: dict, batch_size: int = 256
) -> tuple[float, float]:
    """(mean squared error against clean, mean PSNR in dB) of `model` on the validation tensors."""
    model.eval()
    preds = []
    for i in range(0, noisy.shape[0], batch_size):
        with torch.autocast(**autocast):
            preds.append(model(noisy[i : i + batch_size].contiguous(memory_format=torch.channels_last)).float())
    model.train()
    pred = torch.cat(preds)
    return (pred - clean).pow(2).mean().item(), psnr(pred, clean).item()


class Trainer:
    """One training run's model, optimizer, learning-rate schedule and batch maker; `step` is one optimisation step.

    `fit` drives a Trainer epoch by epoch; benchmarks/train_throughput.py times `step` directly, so the benchmark
    measures exactly the code that trains. The model's initial weights come from ``torch.manual_seed(config.seed)``.
    """

    def __init__(self, data: PairData | PhotoData, model_config: UNetConfig, config: TrainConfig):
        config.validate()
        self.config = config
        self.device = device = pick_device(config.device)
        self.autocast = {
            "device_type": device.type,
            "dtype": torch.bfloat16,
            "enabled": use_bf16(config.precision, device),
        }
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # the input shape never changes: let cuDNN time its algorithms once
        elif device.type == "cpu":
            configure_cpu_threads()

        torch.manual_seed(config.seed)  # the model's initial weights
        self.model = UNet(model_config).to(device, memory_format=torch.channels_last)
        # The compiled wrapper shares the model's parameters; state dicts and validation use the plain model.
        self.forward = torch.compile(self.model) if config.compile else self.model
        fused = {"fused": True} if device.type == "cuda" else {}  # one kernel for the whole update instead of dozens
        if config.optimizer == "adam":
            self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr, betas=(0.9, 0.99), **fused)
        else:
            self.opt = torch.optim.SGD(self.model.parameters(), lr=config.lr, momentum=config.momentum, **fused)
        self.n = len(data)
        self.steps = max(1, self.n // config.batch_size)  # batches per epoch
        if config.max_batches is not None:
            self.steps = min(self.steps, config.max_batches)
        self.total = self.steps * config.epochs
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda s: rampdown_factor(s, self.total, config.rampdown)
        )
        self.order_gen = torch.Generator().manual_seed(config.seed)  # batch order, on the CPU
        self.noise_gen = torch.Generator(device=device).manual_seed(config.seed + 1)  # noise and augmentation
        self.batches = _Batches(data, config, device, self.noise_gen)
        self.loss_fn = get_loss(config.loss_name)

    def epoch_order(self) -> Tensor:
        """One epoch's sample indices, (steps, batch_size) int64 on the device: row i is batch i."""
        bs = self.config.batch_size
        perm = torch.randperm(self.n, generator=self.order_gen)[: self.steps * bs]
        return perm.to(self.device).view(self.steps, bs)

    def step(self, idx: Tensor, progress: float) -> Tensor:
        """Train on the samples `idx` (B,); progress in [0, 1] is how far training is (for annealed losses).

        Returns the batch loss as a 0-dim tensor on the device, without waiting for the device to finish.
        """
        source, target = self.batches(idx)  # (B, 3, H, W) each
        with torch.autocast(**self.autocast):
            pred = self.forward(source.contiguous(memory_format=torch.channels_last))
        loss = self.loss_fn(pred.float(), target, progress)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return loss.detach()


def fit(
    data: PairData | PhotoData,
    model_config: UNetConfig | None = None,
    config: TrainConfig | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
) -> FitResult:
    """Train a U-Net on `data` and return the model with its best-validation-PSNR weights.

    checkpoint: where the best model is written (atomically) whenever validation PSNR improves; the resume state goes
    next to it (`resume_path`). resume: continue from that resume state (the configs must match it).
    on_epoch: called after every epoch with that epoch's history row (e.g. to report to Ray Tune).
    """
    model_config = model_config or UNetConfig()
    config = config or TrainConfig()
    config.validate()
    if resume and checkpoint is None:
        raise InputError("resume=True needs the checkpoint path of the interrupted run.")
    trainer = Trainer(data, model_config, config)
    model, opt, sched, device = trainer.model, trainer.opt, trainer.sched, trainer.device
    steps, total = trainer.steps, trainer.total
    val_noisy, val_clean = _validation_set(data, config, device)

    history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
    best_epoch, best_psnr, start = 0, -math.inf, 0
    best_state = None
    record = {"model_config": model_config.to_dict(), "train_config": asdict(config), "data": dict(data.meta)}
    if resume:
        state = _load_resume(checkpoint, record)
        model.load_state_dict(state["model_state"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        trainer.order_gen.set_state(state["order_gen"])
        trainer.noise_gen.set_state(state["noise_gen"])
        history, best_epoch, best_psnr, start = state["history"], state["best_epoch"], state["val_psnr"], state["epoch"]
        best_state = read_checkpoint(checkpoint)["model_state"]

    epochs = tqdm(range(start, config.epochs), desc="epochs", disable=not progress, initial=start, total=config.epochs)
    for epoch in epochs:
        t0 = time.perf_counter()
        order = trainer.epoch_order()  # (steps, batch_size)
        running = torch.zeros((), device=device)
        for step in range(steps):
            running += trainer.step(order[step], (epoch * steps + step) / total)
        val_loss, val_psnr = validate(model, val_noisy, val_clean, trainer.autocast)
        row = {
            "epoch": epoch + 1,
            "train_loss": (running / steps).item(),
            "val_loss": val_loss,
            "val_psnr": val_psnr,
            "lr": opt.param_groups[0]["lr"],
            "seconds": time.perf_counter() - t0,
        }
        if not all(math.isfinite(row[k]) for k in ("train_loss", "val_loss", "val_psnr")):
            raise FloatingPointError(
                f"training diverged at epoch {epoch + 1} (loss {row['train_loss']}); "
                f"lower the learning rate (lr={config.lr})."
            )
        for k in HISTORY_KEYS:
            history[k].append(row[k])
        if val_psnr > best_psnr:
            best_epoch, best_psnr = epoch + 1, val_psnr
            best_state = {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
            if checkpoint is not None:
                save_checkpoint(checkpoint, model, **record, history=history, epoch=best_epoch, val_psnr=best_psnr)
        if checkpoint is not None:
            save_torch(
                {
                    **record,
                    "model_state": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "order_gen": trainer.order_gen.get_state(),
                    "noise_gen": trainer.noise_gen.get_state(),
                    "history": history,
                    "epoch": epoch + 1,
                    "best_epoch": best_epoch,
                    "val_psnr": best_psnr,
                },
                resume_path(checkpoint),
            )
        epochs.set_postfix(loss=f"{row['train_loss']:.4f}", val_psnr=f"{val_psnr:.2f}")
        if on_epoch is not None:
            on_epoch(row)

    if checkpoint is not None:  # the final history also goes into the best checkpoint
        model_best = UNet(model_config)
        model_best.load_state_dict(best_state)
        save_checkpoint(checkpoint, model_best, **record, history=history, epoch=best_epoch, val_psnr=best_psnr)
    model.load_state_dict(best_state)
    model.eval()
    return FitResult(model, history, best_epoch, best_psnr, Path(checkpoint) if checkpoint else None, str(device))


def _load_resume(checkpoint: str | os.PathLike, record: dict) -> dict:
    """Load the resume state next to `checkpoint` and check it belongs to the same configuration."""
    path = resume_path(checkpoint)
    fix = "start a fresh run without resume"
    state = load_torch(path, what="resume state", fix=fix)
    if not isinstance(state, dict) or "optimizer" not in state:
        raise InputError(f"resume state {path} is not an n2n-lab resume file; {fix}.")
    ignore = {"device", "compile"}  # where it runs and whether it is compiled do not change what is learned
    for key in ("model_config", "train_config"):
        saved, now = state.get(key, {}), record[key]
        diff = sorted(k for k in set(saved) | set(now) if k not in ignore and saved.get(k) != now.get(k))
        if diff:
            raise InputError(
                f"resume state {path} was made with a different {key} ({', '.join(diff)} differ); "
                f"use the same settings as the interrupted run, or {fix}."
            )
    return state
