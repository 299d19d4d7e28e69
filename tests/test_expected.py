"""Expected-result bands (n2n_lib.lab.expected): machine-stable lines, and bands that still catch a broken training."""

import dataclasses
import re
from pathlib import Path

import nbformat
import pytest
import torch

from n2n_lib.lab.expected import STRICT_ENV, Expected, OutOfBand
from n2n_lib.model import UNetConfig
from n2n_lib.pairs import load_pairs, prepare
from n2n_lib.profiles import profile_for
from n2n_lib.train import TrainConfig, fit

NOTEBOOK_03 = Path(__file__).resolve().parents[1] / "notebooks" / "03_training.ipynb"


def test_in_band_prints_the_band_not_the_number(capsys):
    expect = Expected("quick", strict=True)
    expect(24.5312, around=24.5, within=0.5, what="N2N best validation PSNR")
    expect(24.0, around=24.5, within=0.5, what="edge")  # the band is closed
    assert expect.misses == []
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "✓ N2N best validation PSNR within 24.5 ± 0.5 dB"
    assert "24.53" not in out  # the line is the same on every machine


@pytest.mark.parametrize("value", [23.9, 25.2, float("nan"), float("inf")])
def test_out_of_band_raises_when_strict_and_says_so_otherwise(value, capsys):
    with pytest.raises(OutOfBand, match=r"outside the expected 24.5 ± 0.5 dB .* changed a parameter"):
        Expected("quick", strict=True)(value, around=24.5, within=0.5, what="N2N PSNR")
    lenient = Expected("quick", strict=False)
    lenient(value, around=24.5, within=0.5, what="N2N PSNR")
    assert capsys.readouterr().out.startswith("✗ N2N PSNR is ")
    assert len(lenient.misses) == 1


def test_bands_apply_only_to_their_profile(capsys):
    expect = Expected("full", strict=True)
    expect(3.0, around=24.5, within=0.5, what="N2N PSNR")
    assert expect.misses == [] and "no band: bands are for the quick profile" in capsys.readouterr().out


def test_strict_mode_follows_the_environment(monkeypatch):
    monkeypatch.setenv(STRICT_ENV, "1")
    assert Expected("quick").strict
    monkeypatch.setenv(STRICT_ENV, "0")
    assert not Expected("quick").strict


def _notebook_band(pattern: str) -> tuple[float, float]:
    """(around, within) of the `expect` call in notebook 03 whose first argument matches `pattern`."""
    source = "\n".join(cell.source for cell in nbformat.read(NOTEBOOK_03, as_version=4).cells)
    found = re.search(pattern + r", around=([\d.]+), within=([\d.]+)", source)
    assert found, f"notebook 03 has no band for {pattern}"
    return float(found.group(1)), float(found.group(2))


@pytest.fixture(scope="module")
def report_pairs(tmp_path_factory):
    """The data of notebook 03: 6250 embedded pairs at σ = 25, as notebook 01 prepares them."""
    return load_pairs(prepare("embedded", tmp_path_factory.mktemp("pairs") / "embedded", noise="gaussian:25", seed=0))


@pytest.mark.slow
@pytest.mark.parametrize("broken", ["targets shuffled", "learning rate 1e-7"])
def test_the_n2n_band_catches_a_broken_training_run(broken, report_pairs):
    """Notebook 03's N2N run with one thing broken must leave the band its check cell expects."""
    around, within = _notebook_band(r'expect\(runs\["N2N"\]\.best_val_psnr')
    data, lr = report_pairs, profile_for("03", "quick").default_lr["adam"]
    if broken == "targets shuffled":  # each source paired with another patch's noisy copy: no signal to learn
        perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))
        data = dataclasses.replace(data, train_b=data.train_b[perm])
    else:
        lr = 1e-7
    quick = profile_for("03", "quick")
    config = TrainConfig(epochs=quick.epochs, max_batches=quick.max_batches, batch_size=32, lr=lr, seed=0)
    run = fit(data, UNetConfig.preset("small"), config, progress=False)
    with pytest.raises(OutOfBand):
        Expected("quick", strict=True)(run.best_val_psnr, around=around, within=within, what=f"N2N, {broken}")
