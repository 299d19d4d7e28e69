"""The resume state file: versioned, written atomically, read weights-only, refused with the fix when wrong."""

import pytest
import torch

from n2n_lib.checkpoint import FORMAT, RESUME_FORMAT, load_resume, resume_path, save_resume
from n2n_lib.errors import InputError
from n2n_lib.model import UNet, UNetConfig

RECORD = {"model_config": UNetConfig(width=8, depth=2, head=(8, 8)).to_dict(), "train_config": {"lr": 1e-3, "seed": 0}}


def trainer_state() -> dict:
    """What train.Trainer.state_dict returns, for a tiny U-Net after one Adam step."""
    model = UNet(UNetConfig.from_dict(RECORD["model_config"]))
    opt = torch.optim.Adam(model.parameters())
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    model(torch.rand(1, 3, 8, 8)).mean().backward()
    opt.step()
    sched.step()
    gen = torch.Generator().manual_seed(3)
    return {
        "model_state": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "order_gen": gen.get_state(),
        "noise_gen": gen.get_state(),
    }


def run_entries(epoch: int = 2) -> dict:
    return {"history": {"epoch": [1, 2], "val_psnr": [20.0, 21.5]}, "epoch": epoch, "best_epoch": 2, "val_psnr": 21.5}


def test_resume_state_round_trips_with_its_format_and_no_temporary_files(tmp_path):
    path = resume_path(tmp_path / "model.pt")
    assert path == tmp_path / "model.resume.pt"
    state = trainer_state()
    save_resume(path, state, **RECORD, data={"source": "embedded"}, **run_entries())
    loaded = load_resume(path, RECORD)
    assert loaded["format"] == RESUME_FORMAT and loaded["epoch"] == 2 and loaded["data"] == {"source": "embedded"}
    for name, w in state["model_state"].items():
        assert torch.equal(loaded["model_state"][name], w), name
    assert torch.equal(loaded["order_gen"], state["order_gen"])
    assert loaded["optimizer"]["state"][0]["step"] == 1
    assert not list(tmp_path.glob(".*.tmp")), "the write is atomic: no temporary file is left behind"


def test_version0_resume_state_without_a_format_field_still_loads(tmp_path):
    path = tmp_path / "old.resume.pt"
    torch.save({**RECORD, "data": {}, **trainer_state(), **run_entries(epoch=5)}, path)  # as train.py wrote it before
    assert load_resume(path, RECORD)["epoch"] == 5


def test_resume_state_of_a_different_configuration_is_refused_by_name(tmp_path):
    path = tmp_path / "m.resume.pt"
    save_resume(path, trainer_state(), **RECORD, **run_entries())
    with pytest.raises(InputError, match=r"different train_config \(lr differ\).*same settings"):
        load_resume(path, {**RECORD, "train_config": {"lr": 0.5, "seed": 0}})
    device_only = {**RECORD, "train_config": {**RECORD["train_config"], "device": "cuda", "compile": True}}
    assert load_resume(path, device_only)["epoch"] == 2  # where it runs does not change what is learned


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "does not exist; start a fresh run without resume"),
        (b"PK\x03\x04 cut off mid-write", "truncated or corrupt"),
        ({"format": FORMAT, "model_state": {}}, f"format '{FORMAT}', expected format '{RESUME_FORMAT}'"),
        ({"format": "n2n-lab-resume-v9", "optimizer": {}}, "format 'n2n-lab-resume-v9'"),
        ({"weights": torch.zeros(2)}, "a dict without a format field"),
        ([1, 2, 3], "a list without a format field"),
        ({"format": RESUME_FORMAT, "optimizer": {}, "epoch": 1}, "lacks model_state, scheduler, order_gen"),
    ],
    ids=["missing", "corrupt", "best-model file", "future version", "foreign dict", "not a dict", "incomplete"],
)
def test_wrong_resume_files_are_refused_naming_the_file_and_the_fix(tmp_path, content, match):
    path = tmp_path / "m.resume.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        torch.save(content, path)
    with pytest.raises(InputError, match=match) as err:
        load_resume(path, RECORD)
    assert str(path) in str(err.value)
    assert "start a fresh run" in str(err.value)
