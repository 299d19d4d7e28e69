"""Run profiles (n2n_lib/profiles.py): the budgets notebooks 03-05 run with, and the cap that smoke-tests "full"."""

import dataclasses
import json

import pytest

from n2n_lib import results
from n2n_lib.errors import InputError
from n2n_lib.lab.notebooks import notebook_paths, run_all
from n2n_lib.model import PRESETS
from n2n_lib.profiles import (
    CAP,
    CAP_ENV,
    CAP_NOTE,
    ResultsProfile,
    TrainingProfile,
    TuningProfile,
    budget_capped,
    profile_for,
)
from n2n_lib.tune import SearchConfig

# The budgets the notebooks run with: the quick profile's committed outputs and expected bands were measured with
# these, so changing one changes every trained number (and needs `make notebooks` and new bands).
REFERENCE = {
    ("03", "quick"): {
        "preset": "small",
        "epochs": 12,
        "max_batches": 100,
        "ablation_epochs": 2,
        "ablation_batches": 50,
        "overfit_epochs": 750,
        "default_lr": {"adam": 2e-3, "sgd": 0.005},
    },
    ("03", "full"): {
        "preset": "paper",
        "epochs": 30,
        "max_batches": None,
        "ablation_epochs": 30,
        "ablation_batches": None,
        "overfit_epochs": 3000,
        "default_lr": {"adam": 1e-3, "sgd": 0.005},
    },
    ("04", "quick"): {"num_samples": 12, "epochs": 4, "max_batches": 60, "preset": "small", "max_concurrent": 1},
    ("04", "full"): {"num_samples": 40, "epochs": 10, "max_batches": None, "preset": "paper", "max_concurrent": None},
    ("05", "quick"): {
        "gallery_preset": "small",
        "gallery": {"epochs": 8, "max_batches": 100, "batch_size": 16, "lr": 3e-3},
        "pair_preset": "small",
        "pair_epochs": 12,
        "pair_max_batches": 100,
        "pair_lr": 2e-3,
        "whole_images": False,
    },
    ("05", "full"): {
        "gallery_preset": "paper",
        "gallery": {"epochs": 30, "max_batches": None, "batch_size": 32, "lr": 1e-3},
        "pair_preset": "paper",
        "pair_epochs": 30,
        "pair_max_batches": None,
        "pair_lr": 1e-3,
        "whole_images": True,
    },
}


@pytest.fixture
def uncapped(monkeypatch):
    monkeypatch.delenv(CAP_ENV, raising=False)


@pytest.mark.parametrize(("notebook", "profile"), list(REFERENCE))
def test_profiles_hold_the_budgets_the_notebooks_used(uncapped, notebook, profile):
    assert dataclasses.asdict(profile_for(notebook, profile)) == REFERENCE[notebook, profile]


def test_profile_types_and_presets(uncapped):
    for profile in ("quick", "full"):
        training, tuning, report = (profile_for(n, profile) for n in ("03", "04", "05"))
        assert isinstance(training, TrainingProfile)
        assert isinstance(tuning, TuningProfile)
        assert isinstance(report, ResultsProfile)
        assert {training.preset, tuning.preset, report.gallery_preset, report.pair_preset} <= set(PRESETS)


def test_notebook_05_trains_its_pair_with_notebook_03s_budget(uncapped):
    for profile in ("quick", "full"):
        training, report = profile_for("03", profile), profile_for("05", profile)
        assert report.pair_preset == training.preset
        expected = {"epochs": training.epochs, "max_batches": training.max_batches, "lr": training.default_lr["adam"]}
        assert report.pair_budget == expected


def test_gallery_budget_is_train_config_keywords_in_the_printed_order(uncapped):
    # notebook 05 prints the dict: its keys and their order are part of the committed output
    budget = profile_for("05", "quick").gallery_budget
    assert str(budget) == "{'epochs': 8, 'max_batches': 100, 'batch_size': 16, 'lr': 0.003}"


def test_search_config_defaults_are_the_quick_tuning_profile(uncapped):
    quick, defaults = profile_for("04", "quick"), SearchConfig()
    for name in ("num_samples", "epochs", "max_batches", "preset"):
        assert getattr(defaults, name) == getattr(quick, name), name


def test_an_unknown_profile_or_notebook_is_refused():
    with pytest.raises(InputError, match="PROFILE='fast'"):
        profile_for("03", "fast")
    with pytest.raises(KeyError):
        profile_for("02", "quick")


def test_the_cap_shrinks_only_the_full_profile(monkeypatch):
    monkeypatch.setenv(CAP_ENV, "1")
    assert budget_capped("full") and not budget_capped("quick")
    for notebook in ("03", "04", "05"):
        assert dataclasses.asdict(profile_for(notebook, "quick")) == REFERENCE[notebook, "quick"]
    training = profile_for("03", "full")
    assert (training.epochs, training.max_batches) == (CAP["epochs"], CAP["max_batches"])
    assert (training.ablation_epochs, training.ablation_batches) == (CAP["epochs"], CAP["max_batches"])
    assert training.overfit_epochs == CAP["overfit_epochs"]
    assert training.preset == "paper" and training.default_lr == REFERENCE["03", "full"]["default_lr"]
    tuning = profile_for("04", "full")
    assert (tuning.num_samples, tuning.epochs, tuning.max_batches) == (CAP["num_samples"], 1, CAP["max_batches"])
    assert tuning.preset == "paper" and tuning.max_concurrent is None  # still as many trials at once as fit
    report = profile_for("05", "full")
    assert report.gallery_budget == {"epochs": 1, "max_batches": CAP["max_batches"], "batch_size": 32, "lr": 1e-3}
    assert report.pair_budget == {"epochs": 1, "max_batches": CAP["max_batches"], "lr": 1e-3}
    assert not report.whole_images  # CBM3D on whole images alone would take minutes
    assert report.gallery_preset == report.pair_preset == "paper"
    assert CAP_ENV in CAP_NOTE


@pytest.mark.parametrize("value", [None, "", "0", "yes"])
def test_the_cap_needs_exactly_1(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(CAP_ENV, raising=False)
    else:
        monkeypatch.setenv(CAP_ENV, value)
    assert not budget_capped("full")
    assert dataclasses.asdict(profile_for("03", "full")) == REFERENCE["03", "full"]


def _result_files(notebook: str) -> list[type]:
    """The results/ files `notebook` ("01"…"05") writes, from n2n_lib.results."""
    classes = [c for c in vars(results).values() if isinstance(c, type) and getattr(c, "NOTEBOOK", None) == notebook]
    return [c for c in classes if isinstance(c.__dict__.get("FILE"), str)]


def _takes_profile(path) -> bool:
    """Whether the notebook's parameter-check cell (cell 3) takes its budgets from n2n_lib.profiles."""
    cell = json.loads(path.read_text(encoding="utf-8"))["cells"][3]
    return "profile_for" in "".join(cell["source"])


@pytest.mark.slow
@pytest.mark.parametrize("number", ["01", "02", "03", "04", "05"])
def test_full_profile_runs_under_the_budget_cap(number, monkeypatch, tmp_path):
    """Every notebook runs with PROFILE=full, capped to seconds of training, and writes its results/ files.

    The session's scratch root (conftest.py) holds what earlier notebooks wrote, so later ones read it as in
    ``make run``; each notebook also runs alone. 01 and 02 have no training budgets and run as they are.
    """
    (path,) = [p for p in notebook_paths() if p.name.startswith(f"{number}_")]
    if number in ("03", "04", "05") and not _takes_profile(path):
        pytest.skip(f"{path.name}'s cell 3 does not take its budgets from n2n_lib.profiles, so the cap would not apply")
    monkeypatch.setenv(CAP_ENV, "1")
    (executed,) = run_all("full", out_dir=tmp_path, paths=[path])
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]  # papermill added a cell after `parameters`
    printed = "".join("".join(o.get("text", "")) for c in cells for o in c.get("outputs", []))
    if number in ("03", "04", "05"):
        assert CAP_NOTE in printed
    for result in _result_files(number):
        assert result.path().is_file(), f"notebook {number} did not write results/{result.FILE}"
        result.read()  # raises if the file does not match what the report expects
