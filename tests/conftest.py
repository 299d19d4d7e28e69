"""Shared fixtures: a tiny prepared dataset and a tiny trained checkpoint, made once per test session."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    """A prepared folder: 256 training pairs and 64 validation patches of the embedded photos, Gaussian σ=25."""
    from n2n_lib.pairs import prepare

    return prepare("embedded", tmp_path_factory.mktemp("data") / "tiny", noise="gaussian:25", n_train=256, n_val=64)


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_data_dir, tmp_path_factory) -> Path:
    """A small-preset model trained for 2 short epochs on `tiny_data_dir`."""
    from n2n_lib.pairs import load_pairs
    from n2n_lib.train import TrainConfig, fit

    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    fit(
        load_pairs(tiny_data_dir),
        config=TrainConfig(epochs=2, batch_size=32, device="cpu"),
        checkpoint=path,
        progress=False,
    )
    return path


@pytest.fixture
def malicious_pickle(tmp_path):
    """A pickle whose loading would create a marker file; returns (pickle path, marker path)."""
    import pickle

    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"format": "n2n-lab-checkpoint-v1", "x": Payload()}))
    return path, marker


@pytest.fixture
def cli():
    """``cli(*args)`` runs ``python -m n2n_lib ARGS`` from the repository root; returns the CompletedProcess."""
    import subprocess

    def run(*args, cwd: Path = ROOT):
        return subprocess.run(
            [sys.executable, "-m", "n2n_lib", *map(str, args)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    return run
