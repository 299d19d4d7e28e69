"""The one training loop, for Noise2Noise (noisy targets) and Noise2Clean (clean targets).

Taught in notebook ``03_training``; notebooks, the CLI, the tuner and the benchmarks all call `fit`. `TrainConfig`
says how to train; `Trainer` holds one run (model, optimizer, learning-rate schedule) and takes one optimisation step
at a time; `fit` drives it epoch by epoch and the throughput benchmark times the very same `step`. Every batch is made
on the training device by `n2n_lib.batches.Batches` (indexing, crops, augmentation, fresh noise as whole-batch tensor
operations, no DataLoader), and each epoch is scored by `n2n_lib.batches.validate`.
Speed settings: channels_last everywhere; bf16 autocast on CUDA and on CPUs that compute bf16 in hardware
(`n2n_lib.hardware.use_bf16`); fused optimizer steps and cudnn autotuning on CUDA; ``torch.compile`` behind
``TrainConfig.compile``.
`fit` takes either report-style patch pairs (`n2n_lib.pairs.PairData`) or whole photos (`n2n_lib.crops.PhotoData`, a
fresh random crop per sample). Each epoch ends with a validation pass against clean patches; the checkpoint with the
best validation PSNR is kept, because training on few images overfits (held-out PSNR rises, then falls). A resume state
written after every epoch (`n2n_lib.checkpoint.save_resume`) holds the model, optimizer, scheduler and
random-generator states, so an interrupted run continues exactly.

(Over the project's 300-line guide on purpose: the config, the run and the loop of one training are read
together in notebook 03, top to bottom, and split across files they would be harder to follow, not easier.)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from n2n_lib.batches import Batches, validate, validation_set
from n2n_lib.checkpoint import (
    RESUME_FIX,
    load_resume,
    matching_resume,
    read_checkpoint,
    resume_path,
    save_checkpoint,
    save_resume,
)
from n2n_lib.crops import PhotoData
from n2n_lib.errors import InputError
from n2n_lib.hardware import configure_cpu_threads, pick_device, use_bf16
from n2n_lib.losses import default_loss, get_loss
from n2n_lib.model import UNet, UNetConfig
from n2n_lib.noise import NoiseSpec, parse_noise
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
    # None: use the stored noisy pairs; a spec ("gaussian:0-50" or a NoiseSpec): fresh noise on the clean patches every
    # batch. Held parsed, as a NoiseSpec; `to_dict` writes it back as its spec text.
    noise: NoiseSpec | str | None = None
    loss: str | None = None  # None: the noise type's matching loss (l2 for Gaussian)
    flips: bool = True
    swap: bool = True  # exchange source and target per sample (Noise2Noise only)
    color: bool = False  # brightness/hue jitter
    seed: int = 0
    device: str = "auto"  # "auto" (cuda, then mps, then cpu) or a torch device string
    precision: str = "auto"  # "auto" (bf16 where the hardware has it natively: hardware.use_bf16), "fp32" or "bf16"
    max_batches: int | None = None  # cap on batches per epoch, for quick experiments
    compile: bool = False  # torch.compile the model for training (minutes of compiling; pays off on long GPU runs)

    def __post_init__(self) -> None:
        self.validate()  # a bad setting fails where it is written, not minutes later in a run

    def to_dict(self) -> dict:
        """The settings as plain JSON-able values (the noise as its spec text), as checkpoints record them."""
        return {**asdict(self), "noise": None if self.noise is None else str(self.noise)}

    def validate(self) -> None:
        """Raise InputError naming the first bad field and its allowed values; a noise spec given as text is parsed
        into its NoiseSpec here (a bad spec fails, naming it)."""
        if self.noise is not None:
            self.noise = parse_noise(self.noise)
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


HISTORY_KEYS = ("epoch", "train_loss", "val_loss", "val_psnr", "lr", "seconds")


class Trainer:
    """One training run's model, optimizer, learning-rate schedule and batch maker; `step` is one optimisation step.

    `fit` drives a Trainer epoch by epoch (`train_epoch`) and saves its `state_dict` in the resume state;
    benchmarks/train_throughput.py times `step` directly, so the benchmark measures exactly the code that trains. The
    model's initial weights come from ``torch.manual_seed(config.seed)``.
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
        self.batches = Batches(data, config, device, self.noise_gen)
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

    def train_epoch(self, epoch: int) -> Tensor:
        """Run epoch `epoch` (0-based): every batch of a fresh `epoch_order`, one `step` each.

        Returns the mean batch loss as a 0-dim tensor on the device, still unread so the device need not wait.
        """
        order = self.epoch_order()  # (steps, batch_size)
        running = torch.zeros((), device=self.device)
        for step in range(self.steps):
            running += self.step(order[step], (epoch * self.steps + step) / self.total)
        return running / self.steps

    def state_dict(self) -> dict[str, Any]:
        """Everything training changes: weights, optimizer moments, schedule position and both generators' states."""
        return {
            "model_state": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "scheduler": self.sched.state_dict(),
            "order_gen": self.order_gen.get_state(),
            "noise_gen": self.noise_gen.get_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` returned, so the next `train_epoch` continues the saved run exactly."""
        self.model.load_state_dict(state["model_state"])
        self.opt.load_state_dict(state["optimizer"])
        self.sched.load_state_dict(state["scheduler"])
        self.order_gen.set_state(state["order_gen"])
        self.noise_gen.set_state(state["noise_gen"])


@dataclass
class _Progress:
    """Where a run stands: its history, the epochs done, and the best validation PSNR (dB) with those weights."""

    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    epoch: int = 0
    best_epoch: int = 0
    best_psnr: float = -math.inf
    best_state: dict[str, Tensor] | None = None  # a CPU copy of the best weights

    def add(self, row: dict[str, float], model: nn.Module) -> bool:
        """Append one epoch's history `row`; copy `model`'s weights if its PSNR is the best so far (returns True)."""
        for k in HISTORY_KEYS:
            self.history[k].append(row[k])
        self.epoch = row["epoch"]
        if not row["val_psnr"] > self.best_psnr:
            return False
        self.best_epoch, self.best_psnr = row["epoch"], row["val_psnr"]
        self.best_state = {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
        return True

    def records(self) -> dict[str, Any]:
        """The entries of the resume state that describe the run (`n2n_lib.checkpoint.save_resume`)."""
        return {"history": self.history, "epoch": self.epoch, "best_epoch": self.best_epoch, "val_psnr": self.best_psnr}


def _resume(trainer: Trainer, checkpoint: str | os.PathLike, state: dict) -> _Progress:
    """Restore `trainer` from `state`, the resume state beside `checkpoint`; returns the interrupted run's progress."""
    path = resume_path(checkpoint)
    try:
        trainer.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise InputError(f"resume state {path} does not fit this model ({first}); {RESUME_FIX}.") from exc
    best = read_checkpoint(checkpoint)["model_state"]
    return _Progress(state["history"], state["epoch"], state["best_epoch"], state["val_psnr"], best)


def _epoch_row(
    trainer: Trainer, epoch: int, train_loss: Tensor, val_loss: float, val_psnr: float, t0: float
) -> dict[str, float]:
    """One history row (HISTORY_KEYS) for epoch `epoch` (1-based), begun at ``time.perf_counter()`` = `t0`.

    Raises FloatingPointError, with the fix, when a loss or the PSNR is not finite: the run diverged.
    """
    lr = trainer.opt.param_groups[0]["lr"]
    row = dict(
        zip(HISTORY_KEYS, (epoch, train_loss.item(), val_loss, val_psnr, lr, time.perf_counter() - t0), strict=True)
    )
    if not all(math.isfinite(row[k]) for k in ("train_loss", "val_loss", "val_psnr")):
        raise FloatingPointError(
            f"training diverged at epoch {epoch} (loss {row['train_loss']}); "
            f"lower the learning rate (lr={trainer.config.lr})."
        )
    return row


def fit(
    data: PairData | PhotoData,
    model_config: UNetConfig | None = None,
    config: TrainConfig | None = None,
    checkpoint: str | os.PathLike | None = None,
    resume: bool | str = False,
    progress: bool = True,
    on_epoch: Callable[[dict], None] | None = None,
) -> FitResult:
    """Train a U-Net on `data` and return the model with its best-validation-PSNR weights.

    checkpoint: where the best model is written (atomically) whenever validation PSNR improves; the resume state goes
    next to it (`resume_path`). resume: True continues from that resume state (the configs must match it); "auto"
    continues when there is a resume state of the same configuration (a finished run then returns at once, so a notebook
    rerun skips what it already trained) and starts afresh otherwise.
    on_epoch: called after every epoch with that epoch's history row (e.g. to report to Ray Tune).
    """
    model_config = model_config or UNetConfig()
    config = config or TrainConfig()
    config.validate()
    if resume not in (True, False, "auto"):
        raise InputError(f"resume={resume!r} is invalid; use True, False or 'auto'.")
    if resume and checkpoint is None:
        raise InputError(f"resume={resume!r} needs the checkpoint path of the interrupted run.")
    record = {"model_config": model_config.to_dict(), "train_config": config.to_dict(), "data": dict(data.meta)}
    trainer = Trainer(data, model_config, config)  # model, optimizer, learning-rate schedule, batch maker
    model = trainer.model
    val_noisy, val_clean = validation_set(data, config, trainer.device)
    state = matching_resume(checkpoint, record) if resume == "auto" else None  # None: no matching state
    if resume is True:
        state = load_resume(resume_path(checkpoint), record)
    run = _resume(trainer, checkpoint, state) if state is not None else _Progress()

    done = run.epoch  # epochs already trained: 0, or those of the interrupted run
    epochs = tqdm(range(done, config.epochs), desc="epochs", disable=not progress, initial=done, total=config.epochs)
    for epoch in epochs:
        t0 = time.perf_counter()
        train_loss = trainer.train_epoch(epoch)  # read only after validation, so the device never waits for us
        val_loss, val_psnr = validate(model, val_noisy, val_clean, trainer.autocast)
        row = _epoch_row(trainer, epoch + 1, train_loss, val_loss, val_psnr, t0)
        improved = run.add(row, model)
        if checkpoint is not None:
            if improved:
                save_checkpoint(
                    checkpoint, model, **record, history=run.history, epoch=run.best_epoch, val_psnr=run.best_psnr
                )
            save_resume(resume_path(checkpoint), trainer.state_dict(), **record, **run.records())
        epochs.set_postfix(loss=f"{row['train_loss']:.4f}", val_psnr=f"{val_psnr:.2f}")
        if on_epoch is not None:
            on_epoch(row)

    if checkpoint is not None:  # the final history also goes into the best checkpoint
        best = UNet(model_config)
        best.load_state_dict(run.best_state)
        save_checkpoint(checkpoint, best, **record, history=run.history, epoch=run.best_epoch, val_psnr=run.best_psnr)
    model.load_state_dict(run.best_state)
    model.eval()
    return FitResult(
        model, run.history, run.best_epoch, run.best_psnr, Path(checkpoint) if checkpoint else None, str(trainer.device)
    )
