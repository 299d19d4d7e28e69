"""Hyperparameter search with Ray Tune and HyperOpt: the lab report's Table 1 (notebook ``04_hyperparameter_tuning``).

The report searched activation, batch norm, learning rate and SGD momentum with Ray Tune's HyperOpt searcher and
published one row per trial: loss, activation, BN, learning rate, momentum, time (s). `run_search` does the same with
the library's one training loop (`n2n_lib.train.fit`): every trial trains a U-Net and reports its validation loss
(MSE against clean patches) and PSNR to Tune after each epoch, so an ASHA scheduler can stop poor trials early. A trial
that raises — most often SGD diverging to NaN at a high learning rate — is recorded as failed, and the search goes on.
The table on disk, the report's three claims checked against it and the search figures are in `n2n_lib.tune_results`.

Ray itself is started or joined by `n2n_lib.ray_cluster.connect`; trial results go under ``runs/ray_results/``.
"""

from __future__ import annotations

import functools
import logging
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch

from n2n_lib.errors import InputError
from n2n_lib.model import PRESETS, UNetConfig
from n2n_lib.pairs import PairData, load_pairs
from n2n_lib.paths import project_root
from n2n_lib.ray_cluster import connect, shutdown
from n2n_lib.train import TrainConfig, fit

TABLE_COLUMNS = ["loss", "activation", "BN", "learning rate", "momentum", "time (s)"]  # the report's Table 1
ACTIVATION_LABELS = {"leaky_relu": "LeakyReLU", "relu": "ReLU"}
LR_RANGE = (1e-4, 1e-1)  # log-uniform
MOMENTUM_RANGE = (0.1, 0.9)  # uniform


@dataclass
class SearchConfig:
    """How to search. Defaults are the quick profile: 12 short trials, about a minute on a 2-core laptop."""

    num_samples: int = 12  # trials
    epochs: int = 4  # per trial, unless ASHA stops it earlier
    max_batches: int | None = 60  # batches per epoch (None: the whole training set)
    batch_size: int = 32
    preset: str = "small"  # U-Net preset, see n2n_lib.model.PRESETS
    asha: bool = True  # stop poor trials early with the ASHA scheduler
    cpus_per_trial: float = 1.0  # also the trial's torch threads
    gpus_per_trial: float = 0.0  # a fraction (0.25) packs several trials on one GPU
    max_concurrent: int | None = None  # None: as many trials at once as the resources allow
    seed: int = 0  # HyperOpt's draws and every trial's initial weights and batch order
    address: str | None = None  # a Ray cluster ("HOST:6379"); None: RAY_ADDRESS if set, else a local Ray
    storage: str | None = None  # trial results; None: <project>/runs/ray_results
    points_to_evaluate: list[dict] = field(default_factory=list)  # configurations to try first (may lie outside)

    def __post_init__(self) -> None:
        self.validate()  # a bad setting fails where it is written, not after Ray has started

    def validate(self) -> None:
        """Raise InputError naming the first bad field and what it accepts."""
        checks = [
            (self.num_samples >= 1, "num_samples", "a whole number ≥ 1"),
            (self.epochs >= 1, "epochs", "a whole number ≥ 1"),
            (self.max_batches is None or self.max_batches >= 1, "max_batches", "None or a whole number ≥ 1"),
            (self.batch_size >= 1, "batch_size", "a whole number ≥ 1"),
            (self.preset in PRESETS, "preset", " or ".join(map(repr, PRESETS))),
            (self.cpus_per_trial > 0, "cpus_per_trial", "a positive number such as 1"),
            (self.gpus_per_trial >= 0, "gpus_per_trial", "0 (CPU) or a GPU fraction such as 0.25"),
            (self.max_concurrent is None or self.max_concurrent >= 1, "max_concurrent", "None or a number ≥ 1"),
        ]
        for ok, name, allowed in checks:
            if not ok:
                raise InputError(f"search setting {name}={getattr(self, name)!r} is invalid; use {allowed}.")


@dataclass
class SearchResult:
    """What `run_search` returns: one row per trial, and one row per trial and epoch."""

    trials: pd.DataFrame  # trial, status (ok | stopped early | failed), the report's columns, psnr, epochs, error
    curves: pd.DataFrame  # trial, epoch, loss (validation MSE), psnr (dB), seconds

    def table(self) -> pd.DataFrame:
        """The report's Table 1: exactly its columns, best loss first; failed trials last, with loss NaN."""
        return self.trials[TABLE_COLUMNS].sort_values("loss", na_position="last").reset_index(drop=True)


def search_space() -> dict:
    """The report's search space, as Ray Tune domains (activation and batch norm categorical, SGD lr and momentum)."""
    from ray import tune

    return {
        "activation": tune.choice(list(ACTIVATION_LABELS)),
        "batch_norm": tune.choice([False, True]),
        "lr": tune.loguniform(*LR_RANGE),
        "momentum": tune.uniform(*MOMENTUM_RANGE),
    }


def describe_search_space() -> list[str]:
    """One readable line per hyperparameter, e.g. ``lr: log-uniform in [0.0001, 0.1]``."""
    lines = []
    for name, domain in search_space().items():
        if hasattr(domain, "categories"):
            lines.append(f"{name}: one of {domain.categories}")
        else:
            kind = "log-uniform" if "Log" in type(domain.get_sampler()).__name__ else "uniform"
            lines.append(f"{name}: {kind} in [{domain.lower}, {domain.upper}]")
    return lines


@functools.lru_cache(maxsize=2)
def _load_once(data_dir: str) -> PairData:
    """The prepared dataset, read once per Ray worker process (workers are reused across trials)."""
    if not (Path(data_dir) / "dataset.json").is_file():
        raise InputError(
            f"dataset folder {data_dir} is missing on Ray node {platform.node()}; every node needs the same "
            "path: run `python -m n2n_lib prepare` there (it writes identical files) or use a shared folder."
        )
    return load_pairs(data_dir)


def _trial(config: dict, data_dir: str, search: SearchConfig) -> None:
    """One Tune trial: train with `config`'s hyperparameters, reporting validation loss and PSNR after each epoch."""
    from ray import tune

    threads = max(1, int(search.cpus_per_trial))
    if os.environ.get("OMP_NUM_THREADS", "").isdigit():  # the user's cap, as for every other torch computation
        threads = min(threads, max(1, int(os.environ["OMP_NUM_THREADS"])))
    torch.set_num_threads(threads)
    model_config = UNetConfig.preset(search.preset, activation=config["activation"], batch_norm=config["batch_norm"])
    train_config = TrainConfig(
        epochs=search.epochs,
        batch_size=search.batch_size,
        optimizer="sgd",
        lr=config["lr"],
        momentum=config["momentum"],
        seed=search.seed,  # the same initial weights and batches for every trial: only the hyperparameters differ
        device="auto" if search.gpus_per_trial > 0 else "cpu",
        max_batches=search.max_batches,
    )
    report = {"loss": "val_loss", "psnr": "val_psnr", "epoch": "epoch", "seconds": "seconds"}
    fit(
        _load_once(data_dir),
        model_config,
        train_config,
        progress=False,
        on_epoch=lambda row: tune.report({key: row[name] for key, name in report.items()}),
    )


def _trial_bar(total: int, enabled: bool):
    """Tune's progress reporter, replaced: no tables, only a tqdm bar that counts finished trials (if `enabled`)."""
    from ray.tune import ProgressReporter
    from tqdm.auto import tqdm

    class TrialBar(ProgressReporter):
        bar = None  # made on first use: Tune pickles its configuration before the run starts

        def should_report(self, trials, done=False):
            if enabled:
                self.bar = self.bar or tqdm(total=total, desc="trials", unit="trial")
                finished = sum(t.status in ("TERMINATED", "ERROR") for t in trials)
                if finished != self.bar.n:
                    self.bar.update(finished - self.bar.n)
                if done:
                    self.bar.close()
            return False

        def report(self, trials, done, *sys_info):
            pass

    return TrialBar()


def run_search(data_dir: str | os.PathLike, config: SearchConfig | None = None, progress: bool = True) -> SearchResult:
    """Search the report's space on the prepared dataset in `data_dir` with Ray Tune + HyperOpt (+ ASHA).

    Uses an open Ray connection if there is one; otherwise connects (`connect(config.address)`) and disconnects at the
    end. Every trial runs to its end, is stopped early by ASHA, or fails; a failure never stops the search.
    progress: a bar that advances as trials end.
    """
    config = config or SearchConfig()
    config.validate()
    data_dir = Path(data_dir).resolve()  # trials run in their own folders: pass an absolute path
    if not (data_dir / "dataset.json").is_file():
        raise InputError(
            f"dataset folder {data_dir} is not prepared; run `python -m n2n_lib prepare --out {data_dir}`."
        )
    storage = Path(config.storage).resolve() if config.storage else project_root() / "runs" / "ray_results"
    storage.mkdir(parents=True, exist_ok=True)

    import ray
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.hyperopt import HyperOptSearch

    opened = not ray.is_initialized()
    if opened:
        connect(config.address)
    try:
        trainable = tune.with_parameters(_trial, data_dir=str(data_dir), search=config)
        resources = {"cpu": config.cpus_per_trial, "gpu": config.gpus_per_trial}
        scheduler = ASHAScheduler(max_t=config.epochs, grace_period=1, reduction_factor=2) if config.asha else None
        searcher = HyperOptSearch(points_to_evaluate=config.points_to_evaluate or None, random_state_seed=config.seed)
        tuner = tune.Tuner(
            tune.with_resources(trainable, resources),
            param_space=search_space(),
            tune_config=tune.TuneConfig(
                metric="loss",
                mode="min",
                search_alg=searcher,
                scheduler=scheduler,
                num_samples=config.num_samples,
                max_concurrent_trials=config.max_concurrent,
                reuse_actors=True,
            ),
            run_config=tune.RunConfig(
                storage_path=str(storage),
                verbose=1,  # the legacy output, through `_trial_bar`: no per-iteration tables, a bar of trials
                progress_reporter=_trial_bar(config.num_samples, progress),
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
            ),
        )
        tune_log = logging.getLogger("ray.tune")
        level, tune_log.level = tune_log.level, logging.CRITICAL  # failed trials go in the table, not as tracebacks
        try:
            grid = tuner.fit()
        finally:
            tune_log.setLevel(level)
    finally:
        if opened:
            shutdown()
    return _collect(grid, config)


def _first_line_of_error(error: BaseException) -> str:
    """The last 'SomeError: message' line of a (Ray-wrapped) trial exception."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    causes = [line for line in lines if "Error: " in line or "Exception: " in line]
    return (causes or lines or [type(error).__name__])[-1][:300]


def _collect(grid, config: SearchConfig) -> SearchResult:
    """Turn Tune's ResultGrid into one row per trial and one row per trial and epoch, trials numbered from 1."""
    trials, curves = [], []
    for number, result in enumerate(grid, start=1):
        params = result.config
        df = result.metrics_dataframe
        history = df[["epoch", "loss", "psnr", "seconds"]] if df is not None and "loss" in df else pd.DataFrame()
        epochs = len(history)
        status = "failed" if result.error is not None else "ok" if epochs >= config.epochs else "stopped early"
        trials.append(
            {
                "trial": number,
                "status": status,
                "loss": float(history["loss"].min()) if status != "failed" else float("nan"),
                "activation": ACTIVATION_LABELS.get(params["activation"], params["activation"]),
                "BN": "on" if params["batch_norm"] else "off",
                "learning rate": float(params["lr"]),
                "momentum": float(params["momentum"]),
                "time (s)": float(history["seconds"].sum()) if epochs else 0.0,
                "psnr": float(history["psnr"].max()) if status != "failed" else float("nan"),
                "epochs": epochs,
                "error": _first_line_of_error(result.error) if result.error is not None else "",
            }
        )
        curves.extend({"trial": number, **row} for row in history.to_dict("records"))
    columns = ["trial", "epoch", "loss", "psnr", "seconds"]
    return SearchResult(pd.DataFrame(trials), pd.DataFrame(curves, columns=columns))
