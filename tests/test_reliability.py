"""Crash safety: atomic writes, an interrupted prepare, and training killed by SIGKILL that resumes exactly."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from n2n_lib import pairs
from n2n_lib.checkpoint import read_checkpoint
from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write, load_torch, save_torch
from n2n_lib.train import resume_path


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = save_torch({"version": 1}, tmp_path / "state.pt")

    def crash(tmp):
        tmp.write_bytes(b"half a file")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    assert load_torch(path) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"]


def test_an_interrupted_prepare_is_never_taken_for_a_whole_dataset(tmp_path, monkeypatch):
    real_save = pairs.save_torch
    calls = []

    def save_then_die(obj, path):
        calls.append(path)
        if len(calls) == 2:  # the second file of the folder
            raise KeyboardInterrupt
        return real_save(obj, path)

    monkeypatch.setattr(pairs, "save_torch", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        pairs.prepare("embedded", tmp_path / "d", n_train=32, n_val=8)
    with pytest.raises(InputError, match="incomplete"):
        pairs.load_pairs(tmp_path / "d")


def _train(data, out, *extra):
    args = [sys.executable, "-m", "n2n_lib", "train", "--data", str(data), "--out", str(out), "--epochs", "4",
            "--batch-size", "8", "--device", "cpu", "--quiet", *extra]  # fmt: skip
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_training_killed_mid_epoch_resumes_to_the_same_weights(tiny_data_dir, tmp_path):
    straight = _train(tiny_data_dir, tmp_path / "straight.pt")
    assert straight.wait(timeout=600) == 0, straight.stderr.read()

    ckpt = tmp_path / "killed.pt"
    proc = _train(tiny_data_dir, ckpt)
    deadline = time.monotonic() + 600
    while not resume_path(ckpt).exists():  # the first epoch is done; the second has begun
        assert proc.poll() is None, "training ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None, "training ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    interrupted_at = load_torch(resume_path(ckpt))["epoch"]
    assert interrupted_at < 4

    resumed = _train(tiny_data_dir, ckpt, "--resume")
    assert resumed.wait(timeout=600) == 0, resumed.stderr.read()
    final_a, final_b = load_torch(resume_path(tmp_path / "straight.pt")), load_torch(resume_path(ckpt))
    assert final_b["epoch"] == final_a["epoch"] == 4
    for name, weight in final_a["model_state"].items():
        assert torch.equal(weight, final_b["model_state"][name]), name
    best_a, best_b = read_checkpoint(tmp_path / "straight.pt"), read_checkpoint(ckpt)
    assert best_a["epoch"] == best_b["epoch"]
    assert best_a["history"]["val_psnr"] == best_b["history"]["val_psnr"]
    for name, weight in best_a["model_state"].items():
        assert torch.equal(weight, best_b["model_state"][name]), name
