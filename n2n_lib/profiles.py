"""Run profiles: the quick and the full budgets of notebooks 03, 04 and 05, defined once.

Each notebook's cell after ``parameters`` takes its profile and applies the parameters given to it (a parameter left at
None takes the profile's value)::

    profile = profile_for("03", PROFILE)             # a TrainingProfile
    EPOCHS = check_int("EPOCHS", profile.epochs if EPOCHS is None else EPOCHS, minimum=1)

"quick" runs in minutes on a laptop CPU and is what the committed notebook outputs and their expected bands
(`n2n_lib.lab.expected`) show; "full" is the GPU-scale budget of the paper's setting. One convention throughout:
``max_batches=None`` means every batch of every epoch.

Setting ``N2N_LAB_BUDGET_CAP=1`` caps the *full* profile's budgets to a few batches (`capped`), so a notebook run with
``-p PROFILE full`` takes seconds and still goes through every full-profile code path (paper U-Net, whole images,
concurrent trials); ``tests/test_profiles.py`` runs the notebooks that way. The quick profile is never capped.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from n2n_lib.params import check_profile

CAP_ENV = "N2N_LAB_BUDGET_CAP"
CAP = {"epochs": 1, "max_batches": 2, "num_samples": 2, "overfit_epochs": 5}  # the capped full profile's ceilings
CAP_NOTE = (
    f"{CAP_ENV}=1: full-profile budgets capped to {CAP['epochs']} epoch(s) of at most {CAP['max_batches']} batches "
    "and the baselines table on centre crops (a smoke test of the full code paths, not a result)"
)


@dataclass(frozen=True)
class TrainingProfile:
    """Notebook 03: N2N/N2C training, the optimizer comparison, the augmentation ablation and the overfitting run."""

    preset: str  # U-Net preset, see n2n_lib.model.PRESETS
    epochs: int  # N2N, N2C and optimizer runs
    max_batches: int | None  # per epoch; None: every batch
    ablation_epochs: int  # each augmentation-ablation run
    ablation_batches: int | None  # per ablation epoch; None: every batch
    overfit_epochs: int  # the deliberately overfitting run (one full batch per epoch)
    # SGD gets 0.005, not the report's 0.05: at 0.01 and 0.02 a seed of notebook 03's section 5 diverged in epoch 1.
    default_lr: dict[str, float] = field(default_factory=lambda: {"adam": 1e-3, "sgd": 0.005})


@dataclass(frozen=True)
class TuningProfile:
    """Notebook 04: the hyperparameter search (the fields of `n2n_lib.tune.SearchConfig` that the profile sets)."""

    num_samples: int  # trials
    epochs: int  # per trial, unless ASHA stops it earlier
    max_batches: int | None  # batches of 32 per epoch; None: the whole training set
    preset: str
    max_concurrent: int | None  # trials at once; None: as many as the resources allow


@dataclass(frozen=True)
class GalleryBudget:
    """Notebook 05: the training budget of each noise-type model (keyword arguments of `n2n_lib.train.TrainConfig`)."""

    epochs: int
    max_batches: int | None  # None: every batch
    batch_size: int
    lr: float


@dataclass(frozen=True)
class ResultsProfile:
    """Notebook 05: the noise-type gallery, the N2N/N2C pair it trains when run alone, and the evaluation images."""

    gallery_preset: str
    gallery: GalleryBudget
    pair_preset: str  # N2N and N2C, trained with notebook 03's budget when notebook 03 has not run
    pair_epochs: int
    pair_max_batches: int | None  # None: every batch
    pair_lr: float  # Adam's learning rate in notebook 03
    whole_images: bool  # evaluate on whole data/eval images; False: centre crops of the notebook's CROP

    @property
    def gallery_budget(self) -> dict:
        """The gallery budget as TrainConfig keyword arguments: epochs, max_batches, batch_size, lr."""
        return dataclasses.asdict(self.gallery)

    @property
    def pair_budget(self) -> dict:
        """The pair budget as TrainConfig keyword arguments: epochs, max_batches, lr."""
        return {"epochs": self.pair_epochs, "max_batches": self.pair_max_batches, "lr": self.pair_lr}


TRAINING = {
    # quick: 12 × 100 batches at Adam lr 0.002, measured to reach ≥ 27.5 dB on the whole data/eval photos for every
    # one of three seeds (27.75-28.47 dB) in about 37 s per run on 2 cores; 10 × 100 at 0.003 left one seed at 27.36.
    "quick": TrainingProfile(
        preset="small",
        epochs=12,
        max_batches=100,
        ablation_epochs=2,
        ablation_batches=50,
        overfit_epochs=750,
        default_lr={"adam": 2e-3, "sgd": 0.005},
    ),
    "full": TrainingProfile(
        preset="paper", epochs=30, max_batches=None, ablation_epochs=30, ablation_batches=None, overfit_epochs=3000
    ),
}
TUNING = {
    # quick: one trial at a time, so every run gives the same table
    "quick": TuningProfile(num_samples=12, epochs=4, max_batches=60, preset="small", max_concurrent=1),
    "full": TuningProfile(num_samples=40, epochs=10, max_batches=None, preset="paper", max_concurrent=None),
}


def _results(training: TrainingProfile, gallery: GalleryBudget, whole_images: bool) -> ResultsProfile:
    return ResultsProfile(
        gallery_preset=training.preset,
        gallery=gallery,
        pair_preset=training.preset,
        pair_epochs=training.epochs,
        pair_max_batches=training.max_batches,
        pair_lr=training.default_lr["adam"],
        whole_images=whole_images,
    )


RESULTS = {
    # quick: 8 × 100 batches of 16 patches at lr 3e-3, the best validation PSNR of the short budgets we tried (with half
    # of it the outputs still have a colour cast); full: noise-type models trained like notebook 03's full profile.
    "quick": _results(TRAINING["quick"], GalleryBudget(epochs=8, max_batches=100, batch_size=16, lr=3e-3), False),
    "full": _results(TRAINING["full"], GalleryBudget(epochs=30, max_batches=None, batch_size=32, lr=1e-3), True),
}
PROFILES_BY_NOTEBOOK = {"03": TRAINING, "04": TUNING, "05": RESULTS}
Profile = TrainingProfile | TuningProfile | ResultsProfile


def budget_capped(profile: str) -> bool:
    """Whether `profile`'s budgets are capped: the full profile while ``N2N_LAB_BUDGET_CAP=1`` is set."""
    return profile == "full" and os.environ.get(CAP_ENV) == "1"


def _at_most(value: int | None, cap: int) -> int:
    return cap if value is None else min(value, cap)


def capped(profile: Profile) -> Profile:
    """`profile` with every epoch, batch and trial count at most `CAP`'s; presets are kept.

    Notebook 05's baselines table runs on centre crops under the cap: CBM3D alone takes minutes on the five whole
    images of the full profile. Its whole-image evaluation of the shipped models (section 4) still runs.
    """
    epochs, batches = CAP["epochs"], CAP["max_batches"]
    if isinstance(profile, TrainingProfile):
        return dataclasses.replace(
            profile,
            epochs=_at_most(profile.epochs, epochs),
            max_batches=_at_most(profile.max_batches, batches),
            ablation_epochs=_at_most(profile.ablation_epochs, epochs),
            ablation_batches=_at_most(profile.ablation_batches, batches),
            overfit_epochs=_at_most(profile.overfit_epochs, CAP["overfit_epochs"]),
        )
    if isinstance(profile, TuningProfile):
        return dataclasses.replace(
            profile,
            num_samples=_at_most(profile.num_samples, CAP["num_samples"]),
            epochs=_at_most(profile.epochs, epochs),
            max_batches=_at_most(profile.max_batches, batches),
        )
    gallery = dataclasses.replace(
        profile.gallery,
        epochs=_at_most(profile.gallery.epochs, epochs),
        max_batches=_at_most(profile.gallery.max_batches, batches),
    )
    return dataclasses.replace(
        profile,
        gallery=gallery,
        whole_images=False,
        pair_epochs=_at_most(profile.pair_epochs, epochs),
        pair_max_batches=_at_most(profile.pair_max_batches, batches),
    )


def profile_for(notebook: str, profile: str) -> Profile:
    """The budgets of `notebook` ("03", "04" or "05") in `profile` ("quick" or "full"), capped if `budget_capped`.

    Raises InputError (through `check_profile`) for an unknown profile, KeyError for a notebook without profiles.
    """
    check_profile(profile)
    chosen = PROFILES_BY_NOTEBOOK[notebook][profile]
    return capped(chosen) if budget_capped(profile) else chosen
