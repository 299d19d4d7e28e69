"""The shipped models' recipes: train resumably into checkpoints/training/, ship the best weights to checkpoints/."""

import dataclasses
import re
from pathlib import Path

import pytest
import torch
from PIL import Image

from n2n_lib.checkpoint import load_model, read_checkpoint
from n2n_lib.errors import InputError
from n2n_lib.io import load_torch
from n2n_lib.lab import pretrained
from n2n_lib.model import UNetConfig
from n2n_lib.noise import NOISE_KINDS, parse_noise
from n2n_lib.train import TrainConfig, resume_path


@pytest.fixture
def tiny_recipe(tmp_path, monkeypatch):
    """A one-photo-folder recipe with a tiny network, registered as 'tiny', in a scratch project root."""
    folder = tmp_path / "photos"
    folder.mkdir()
    gen = torch.Generator().manual_seed(0)
    for i in range(3):
        array = torch.randint(0, 256, (40, 40, 3), generator=gen, dtype=torch.uint8).numpy()
        Image.fromarray(array).save(folder / f"p{i}.png")
    monkeypatch.setenv("N2N_LAB_ROOT", str(tmp_path))
    recipe = pretrained.Recipe(
        UNetConfig(width=8, depth=2, head=(8, 8)),
        TrainConfig(epochs=2, batch_size=8, noise="gaussian:0-50", precision="fp32"),
        photos="folder:photos",
        crop=16,
        crops_per_epoch=32,
    )
    monkeypatch.setitem(pretrained.RECIPES, "tiny", recipe)
    return recipe


def test_every_recipe_is_valid_and_names_its_file():
    assert {"n2n_gaussian", "n2c_gaussian"} <= set(pretrained.RECIPES)
    for name, recipe in pretrained.RECIPES.items():
        recipe.train.validate()
        assert recipe.train.noise is not None, f"{name} trains on photo crops, which need fresh noise"
    n2n, n2c = pretrained.RECIPES["n2n_gaussian"], pretrained.RECIPES["n2c_gaussian"]
    assert dataclasses.replace(n2c, train=dataclasses.replace(n2c.train, targets="noisy")) == n2n  # twins


def test_train_resumes_and_ship_copies_the_best_weights(tiny_recipe, tmp_path):
    path = pretrained.train("tiny", progress=False)
    assert path == tmp_path / "checkpoints" / "training" / "tiny.pt"
    assert load_torch(resume_path(path))["epoch"] == 2
    again = pretrained.train("tiny", progress=False)  # nothing left to do: it resumes after the last epoch
    assert read_checkpoint(again)["history"] == read_checkpoint(path)["history"]
    shipped = pretrained.ship("tiny")
    assert shipped == tmp_path / "checkpoints" / "tiny.pt"
    record = read_checkpoint(shipped)
    assert "optimizer" not in record and record["data"]["source"] == "folder:photos"
    model, _ = load_model(shipped)
    trained, _ = load_model(path)
    for a, b in zip(model.state_dict().values(), trained.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_ship_refuses_a_checkpoint_of_another_recipe(tiny_recipe, monkeypatch):
    pretrained.train("tiny", progress=False)
    changed = dataclasses.replace(tiny_recipe, train=dataclasses.replace(tiny_recipe.train, lr=5e-4))
    monkeypatch.setitem(pretrained.RECIPES, "tiny", changed)
    with pytest.raises(InputError, match="train it again"):
        pretrained.ship("tiny")


def test_make_pretrained_trains_every_recipe():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    listed = re.search(r"^PRETRAINED = (.+)$", makefile, re.M).group(1).split()
    assert listed == list(pretrained.RECIPES)


def test_each_noise_kind_has_its_shipped_recipe_and_a_missing_file_says_how_to_make_it(tmp_path, monkeypatch):
    assert {f"n2n_{kind}" for kind in NOISE_KINDS} <= set(pretrained.RECIPES)
    for kind in NOISE_KINDS:
        recipe = pretrained.RECIPES[f"n2n_{kind}"]
        assert parse_noise(recipe.train.noise).kind == kind and recipe.train.targets == "noisy"
        assert not parse_noise(recipe.train.noise).is_fixed  # blind: one model for a range of levels
    monkeypatch.setenv("N2N_LAB_ROOT", str(tmp_path))
    with pytest.raises(InputError, match=r"n2n_text\.pt is missing.*pretrained train n2n_text"):
        pretrained.shipped_checkpoint("text:0.25")
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "n2n_text.pt").write_bytes(b"")
    assert pretrained.shipped_checkpoint("text") == pretrained.shipped_checkpoint("text:0.25")
