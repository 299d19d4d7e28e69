"""The training loop: it learns, it is reproducible, it keeps the best checkpoint, it resumes exactly."""

import math

import pytest
import torch

from n2n_lib.checkpoint import load_model, load_resume, read_checkpoint
from n2n_lib.errors import InputError
from n2n_lib.io import load_torch
from n2n_lib.metrics import psnr
from n2n_lib.noise import NoiseSpec
from n2n_lib.pairs import PairData, load_pairs
from n2n_lib.train import TrainConfig, fit, rampdown_factor, resume_path


def quick(**overrides) -> TrainConfig:
    """A few-second CPU configuration: 3 epochs of batches of 32, with `overrides`."""
    return TrainConfig(**{"epochs": 3, "batch_size": 32, "device": "cpu", **overrides})


@pytest.fixture(scope="module")
def data(tiny_data_dir) -> PairData:
    return load_pairs(tiny_data_dir)


def test_noise2noise_learns_to_denoise_without_clean_targets(data):
    result = fit(data, config=TrainConfig(epochs=5, batch_size=8, lr=2e-3, device="cpu"), progress=False)
    h = result.history
    assert h["epoch"] == [1, 2, 3, 4, 5]
    assert h["train_loss"][-1] < h["train_loss"][0]
    noisy_psnr = psnr(data.val_noisy.float() / 255, data.val_clean.float() / 255).item()
    assert result.best_val_psnr > noisy_psnr + 1.0  # 160 steps on 256 noisy pairs already beat the noisy input
    assert result.best_val_psnr == max(h["val_psnr"])
    assert h["epoch"][h["val_psnr"].index(result.best_val_psnr)] == result.best_epoch


def test_same_seed_gives_identical_history_and_weights_on_cpu(data):
    config = quick(epochs=2, max_batches=4)
    a, b = fit(data, config=config, progress=False), fit(data, config=config, progress=False)
    for key in ("train_loss", "val_loss", "val_psnr"):
        assert a.history[key] == b.history[key]
    for (name, wa), wb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(wa, wb), name
    c = fit(data, config=quick(epochs=2, max_batches=4, seed=1), progress=False)
    assert c.history["train_loss"] != a.history["train_loss"]


def test_checkpoint_keeps_the_best_model_and_loads_weights_only(data, tmp_path):
    path = tmp_path / "m.pt"
    result = fit(data, config=quick(max_batches=3), checkpoint=path, progress=False)
    ckpt = read_checkpoint(path)
    assert ckpt["epoch"] == result.best_epoch and ckpt["history"] == result.history
    assert ckpt["train_config"]["seed"] == 0 and ckpt["data"]["noise"] == "gaussian:25"
    model, _ = load_model(path)
    x = data.val_noisy[:4].float() / 255
    with torch.no_grad():
        assert torch.allclose(model(x), result.model.cpu()(x), atol=1e-5)
    assert not list(tmp_path.glob(".*.tmp")), "no temporary files are left behind"


def write_version0_resume(path) -> None:
    """Rewrite the resume state at `path` exactly as train.fit wrote it before the format field (version 0).

    That writer was ``save_torch({**record, "model_state": …, "optimizer": …, "scheduler": …, "order_gen": …,
    "noise_gen": …, "history": …, "epoch": …, "best_epoch": …, "val_psnr": …}, resume_path(checkpoint))`` with
    ``record = {"model_config": …, "train_config": …, "data": …}``: the same entries as today, in this order, no format.
    """
    state = load_torch(path)
    assert state.pop("format") == "n2n-lab-resume-v1"
    version0 = ("model_config", "train_config", "data", "model_state", "optimizer", "scheduler", "order_gen")
    version0 += ("noise_gen", "history", "epoch", "best_epoch", "val_psnr")
    assert set(state) == set(version0), "a version-0 file holds exactly these entries"
    torch.save({k: state[k] for k in version0}, path)


@pytest.mark.parametrize("written_by", ["this version", "version 0"])
def test_interrupted_run_resumes_to_the_same_weights(data, tmp_path, written_by):
    config = quick(max_batches=4)
    straight = fit(data, config=config, checkpoint=tmp_path / "a.pt", progress=False)

    class Stop(Exception):
        pass

    def stop_after_two(row):
        if row["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        fit(data, config=config, checkpoint=tmp_path / "b.pt", progress=False, on_epoch=stop_after_two)
    assert load_resume(resume_path(tmp_path / "b.pt"))["epoch"] == 2
    if written_by == "version 0":  # a run interrupted before the format field existed continues with today's code
        write_version0_resume(resume_path(tmp_path / "b.pt"))
        assert "format" not in load_torch(resume_path(tmp_path / "b.pt"))
    resumed = fit(data, config=config, checkpoint=tmp_path / "b.pt", resume=True, progress=False)
    for key in ("epoch", "train_loss", "val_loss", "val_psnr", "lr"):  # all but the wall-clock seconds
        assert resumed.history[key] == straight.history[key], key
    for (name, wa), wb in zip(straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(wa, wb), name
    assert load_resume(resume_path(tmp_path / "b.pt"))["format"] == "n2n-lab-resume-v1"  # rewritten as version 1
    assert read_checkpoint(tmp_path / "b.pt")["history"] == resumed.history


def test_auto_resume_skips_a_finished_run_and_restarts_another_runs_state(data, tmp_path, capsys):
    path, config = tmp_path / "run.pt", quick(epochs=2, max_batches=2)
    first = fit(data, config=config, checkpoint=path, resume="auto", progress=False)  # nothing to resume: trains
    epochs_run = []
    again = fit(data, config=config, checkpoint=path, resume="auto", progress=False, on_epoch=epochs_run.append)
    assert epochs_run == [] and again.history == first.history  # finished: returned at once, same best weights
    for wa, wb in zip(first.model.state_dict().values(), again.model.state_dict().values(), strict=True):
        assert torch.equal(wa, wb)
    other = fit(data, config=quick(epochs=2, max_batches=2, lr=5e-4), checkpoint=path, resume="auto", progress=False)
    assert len(other.history["epoch"]) == 2 and "not resuming" in capsys.readouterr().out  # another run's state
    with pytest.raises(InputError, match="resume='yes' is invalid"):
        fit(data, config=config, checkpoint=path, resume="yes", progress=False)


def test_resume_refuses_a_different_configuration(data, tmp_path):
    fit(data, config=quick(epochs=1, max_batches=2), checkpoint=tmp_path / "m.pt", progress=False)
    with pytest.raises(InputError, match="lr differ"):
        fit(
            data,
            config=quick(epochs=1, max_batches=2, lr=0.5),
            checkpoint=tmp_path / "m.pt",
            resume=True,
            progress=False,
        )


def test_resume_refuses_weights_that_do_not_fit_the_model(data, tmp_path):
    fit(data, config=quick(epochs=2, max_batches=2), checkpoint=tmp_path / "m.pt", progress=False)
    state = load_torch(resume_path(tmp_path / "m.pt"))
    state["model_state"].popitem()  # a hand-edited or damaged file whose configs still match
    torch.save(state, resume_path(tmp_path / "m.pt"))
    with pytest.raises(InputError, match="does not fit this model.*start a fresh run"):
        fit(data, config=quick(epochs=2, max_batches=2), checkpoint=tmp_path / "m.pt", resume=True, progress=False)


def test_noise2clean_and_fresh_synthetic_noise_train(data):
    n2c = fit(data, config=quick(epochs=1, max_batches=4, targets="clean"), progress=False)
    fresh = fit(data, config=quick(epochs=1, max_batches=4, noise="gaussian:0-50"), progress=False)
    assert math.isfinite(n2c.best_val_psnr) and math.isfinite(fresh.best_val_psnr)


def test_pairs_without_clean_data_cannot_train_noise2clean(data):
    noisy_only = PairData(data.train_a, data.train_b, None, data.val_noisy, data.val_clean, {"source": "epfl:x"})
    with pytest.raises(InputError, match="needs clean training patches"):
        fit(noisy_only, config=quick(targets="clean"), progress=False)
    fit(noisy_only, config=quick(epochs=1, max_batches=2), progress=False)  # plain N2N works


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("epochs", 0),
        ("optimizer", "rmsprop"),
        ("lr", -1.0),
        ("targets", "both"),
        ("noise", "gauss:25"),
        ("loss", "huber"),
    ],
)
def test_bad_settings_are_refused_by_name_where_they_are_written(field, value):
    with pytest.raises(InputError, match=field if field not in ("noise", "loss") else value):
        TrainConfig(**{field: value})  # the constructor checks, before any data is loaded


def test_noise_is_held_parsed_and_recorded_as_its_spec_text():
    config = TrainConfig(noise="Gaussian: 0-50")
    assert config.noise == NoiseSpec("gaussian", 0.0, 50.0)  # parsed once, where the config is written
    assert config.loss_name == "l2" and TrainConfig(noise="impulse:0.3").loss_name == "l0"
    record = config.to_dict()  # what checkpoints store: plain JSON-able values
    assert record["noise"] == "gaussian:0-50" and TrainConfig(**record) == config
    assert TrainConfig().to_dict()["noise"] is None


def test_divergence_is_reported_with_the_fix(data):
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(data, config=quick(optimizer="sgd", lr=1e4, momentum=0.9, max_batches=4), progress=False)


def test_rampdown_schedule():
    assert rampdown_factor(0, 100, 0.3) == 1.0
    assert rampdown_factor(69, 100, 0.3) == 1.0
    assert rampdown_factor(85, 100, 0.3) == pytest.approx(0.25)  # halfway down the ramp: ((1 + cos(π/2)) / 2)² = 1/4
    assert rampdown_factor(100, 100, 0.3) == pytest.approx(0.0)
