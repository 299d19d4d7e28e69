"""The files in ``results/``, one dataclass each: what the notebooks hand to each other and to the report.

The last cell of every notebook writes through these classes (``DataSummary(...).write()`` in notebook 01), and the
report (`n2n_lib.lab.report`) reads through them (``Training.read()``), so a key or column renamed on one side fails
loudly on the other instead of silently dropping a sentence. The format on disk is what the notebooks have always
written; `n2n_lib.result_files` checks every value against the type hints below, on write and on read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from n2n_lib.result_files import CsvResult, JsonResult, optional


@dataclass(kw_only=True)
class DataSummary(JsonResult):
    """results/data_summary.json: the prepared training pairs and their noise (statistics in 0-255 units)."""

    FILE, NOTEBOOK, WHAT = "data_summary.json", "01", "data summary"
    source: str
    noise: str | None
    noise_label: str | None
    seed: int
    folder: str
    n_train: int
    n_val: int
    patch_shape: list[int]
    dtype: str
    files_mb: dict[str, float]
    train_a_mean: float | None = optional()  # this and the next six need the clean patches (not EPFL pairs)
    train_a_sigma: float | None = optional()
    train_b_mean: float | None = optional()
    train_b_sigma: float | None = optional()
    ab_noise_correlation: float | None = optional()
    ab_noise_correlation_midtones: float | None = optional()
    n2n_l2_floor: float | None = optional()
    sigma_from_pairs: float
    val_mean: float
    val_sigma: float
    val_noisy_psnr_db: float


@dataclass(kw_only=True)
class ReceptiveField:
    min: int
    max: int
    by_grid_position: list[int]


@dataclass(kw_only=True)
class PresetSummary:
    config: dict[str, Any]  # UNetConfig.to_dict()
    parameters: int
    receptive_field_px: ReceptiveField


@dataclass(kw_only=True)
class Architecture(JsonResult):
    """results/architecture.json: the U-Net presets' sizes and receptive fields."""

    FILE, NOTEBOOK, WHAT = "architecture.json", "02", "architecture summary"
    presets: dict[str, PresetSummary]
    receptive_field_measured_px: dict[str, int]  # "small@64" → width of the nonzero gradient
    paper_table2_matches: bool


@dataclass(kw_only=True)
class Evaluation:
    """`n2n_lib.evaluate.evaluate_folder`'s result: PSNR (dB) per image and their means, SSIM when measured."""

    images: dict[str, dict[str, float]]
    mean_noisy_psnr: float
    mean_psnr: float
    mean_noisy_ssim: float | None = optional()
    mean_ssim: float | None = optional()


@dataclass(kw_only=True)
class TrainingEvaluation:
    noise: str
    seed: int
    folder: str
    N2N: Evaluation
    N2C: Evaluation


@dataclass(kw_only=True)
class RunSummary:
    best_epoch: int
    best_val_psnr: float
    seconds: float
    train_config: dict[str, Any]
    history: dict[str, list[float]]  # per epoch: epoch, train_loss, val_loss, val_psnr, lr, seconds


@dataclass(kw_only=True)
class Training(JsonResult):
    """results/training.json: notebook 03's runs (N2N, N2C, optimizers, overfitting) and their evaluation."""

    FILE, NOTEBOOK, WHAT = "training.json", "03", "training results"
    profile: str
    preset: str
    model_config: dict[str, Any]
    device: str
    data: dict[str, Any]
    noisy_val_psnr: float
    budgets: dict[str, dict[str, Any]]
    runs: dict[str, RunSummary]
    gap_n2c_minus_n2n_db: float
    report_sgd: str = field(metadata={"key": "report_sgd_lr_0.05"})
    augmentation_ablation: list[dict[str, Any]]
    evaluation: TrainingEvaluation
    checkpoints: dict[str, str]
    seeds: list[int] | None = optional()  # the matched seeds of every compared setting
    seed_scores: dict[str, list[float]] | None = optional()  # setting → data/eval mean PSNR (dB) per seed
    verdicts: dict[str, str] | None = optional()  # comparison → `n2n_lib.verdict.compare`'s sentence


@dataclass
class AugmentationAblation(CsvResult):
    """results/augmentation_ablation.csv: best validation PSNR per augmentation setting."""

    FILE, NOTEBOOK, WHAT = "augmentation_ablation.csv", "03", "augmentation ablation"
    COLUMNS = {"augmentation": str, "best_val_psnr_db": float, "best_epoch": int, "seconds": float}


@dataclass
class TuningTable(CsvResult):
    """results/tuning_table.csv: the report's Table 1, one row per trial, best first; a failed trial's loss "failed"."""

    FILE, NOTEBOOK, WHAT = "tuning_table.csv", "04", "tuning table"
    COLUMNS = {
        "loss": float,
        "activation": str,
        "BN": str,
        "learning rate": float,
        "momentum": float,
        "time (s)": float,
    }
    NA_REP, FLOAT_FORMAT = "failed", "%.6g"


@dataclass(kw_only=True)
class Conclusion:
    claim: str
    ours: str
    verdict: str


@dataclass(kw_only=True)
class TuningSummary(JsonResult):
    """results/tuning_summary.json: the search's settings and the report's claims checked."""

    FILE, NOTEBOOK, WHAT = "tuning_summary.json", "04", "tuning results"
    profile: str
    search: dict[str, Any]
    ray: dict[str, Any]
    seconds: float
    status: dict[str, int]  # "ok", "stopped early", "failed" → trials
    conclusions: list[Conclusion]
    noisy_loss: float | None = optional()  # validation MSE of the noisy input: a trial denoises below it
    denoising_trials: int | None = optional()  # trials whose best loss is below noisy_loss


@dataclass
class Baselines(CsvResult):
    """results/baselines.csv: mean PSNR (dB), SSIM and seconds per image of every method (`run_baselines`)."""

    FILE, NOTEBOOK, WHAT = "baselines.csv", "05", "baselines table"
    COLUMNS = {"method": str, "PSNR": float, "SSIM": float, "seconds_per_image": float}


@dataclass(kw_only=True)
class BaselineSettings(JsonResult):
    """results/baselines_settings.json: how baselines.csv was measured."""

    FILE, NOTEBOOK, WHAT = "baselines_settings.json", "05", "baselines settings"
    noise: str
    seed: int
    crop: int | None  # side of the centre crops; None: whole images
    images: list[str]
    profile: str
    networks: dict[str, str]  # table label → checkpoint


@dataclass(kw_only=True)
class NoiseTypeResult:
    spec: str
    label: str
    loss: str
    noisy_psnr: float
    psnr: float  # the model notebook 05 trains in the quick profile's seconds (or the full profile's budget)
    shipped_psnr: float | None = optional()  # the shipped model for this noise type, on the same noisy images
    shipped_checkpoint: str | None = optional()


@dataclass(kw_only=True)
class NoiseTypes(JsonResult):
    """results/noise_types.json: one model per noise type, keyed by kind ("gaussian", …)."""

    FILE, NOTEBOOK, WHAT, ROOT = "noise_types.json", "05", "noise-type results", "kinds"
    kinds: dict[str, NoiseTypeResult]


@dataclass(kw_only=True)
class TwinEvaluation(Evaluation):
    """The shipped N2C twin's `Evaluation`, and its checkpoint."""

    checkpoint: str


@dataclass(kw_only=True)
class PretrainedEval(JsonResult):
    """results/pretrained_eval.json: the shipped N2N model's `Evaluation` on data/eval, and its N2C twin's."""

    FILE, NOTEBOOK, WHAT = "pretrained_eval.json", "05", "pretrained-model evaluation"
    checkpoint: str
    noise: str
    seed: int
    images: dict[str, dict[str, float]]  # the fields of `Evaluation`, at the top level of the file
    mean_noisy_psnr: float
    mean_psnr: float
    mean_noisy_ssim: float | None = optional()
    mean_ssim: float | None = optional()
    twin: TwinEvaluation | None = optional()


ALL: tuple[type[JsonResult] | type[CsvResult], ...] = (
    DataSummary,
    Architecture,
    Training,
    AugmentationAblation,
    TuningTable,
    TuningSummary,
    Baselines,
    BaselineSettings,
    NoiseTypes,
    PretrainedEval,
)
