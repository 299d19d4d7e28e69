"""`python -m n2n_lib`: the happy path end to end, and one clear line with exit status 2 for every user mistake."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from n2n_lib.__main__ import build_parser, main
from n2n_lib.checkpoint import save_checkpoint
from n2n_lib.model import UNet
from n2n_lib.paths import data_dir
from n2n_lib.train import TrainConfig


def test_prepare_train_evaluate_end_to_end(cli, tmp_path):
    data, ckpt = tmp_path / "data", tmp_path / "model.pt"
    done = cli("prepare", "--out", data, "--n-train", 128, "--n-val", 16)
    assert done.returncode == 0, done.stderr
    assert "128 training pairs" in done.stdout
    done = cli("train", "--data", data, "--out", ckpt, "--epochs", 1, "--max-batches", 2, "--quiet")
    assert done.returncode == 0, done.stderr
    assert "best validation PSNR" in done.stdout and ckpt.is_file()
    done = cli("evaluate", "--checkpoint", ckpt, "--images", "data/eval", "--noise", "gaussian:25", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"images", "mean_noisy_psnr", "mean_psnr", "mean_noisy_ssim", "mean_ssim"}
    assert set(report["images"]) == {"barbara", "kodim23", "monarch", "sail", "tulips"}
    for values in report["images"].values():
        assert set(values) == {"noisy_psnr", "psnr", "noisy_ssim", "ssim"}
        assert 19 < values["noisy_psnr"] < 23  # σ=25 on 8-bit photos: about 20.2 dB
        assert 0 < values["noisy_ssim"] < 1 and 0 < values["ssim"] <= 1  # two batches of training: no quality yet
    expected = round(sum(v["psnr"] for v in report["images"].values()) / 5, 2)
    assert report["mean_psnr"] == pytest.approx(expected, abs=0.011)


def test_evaluate_table_and_same_seed_same_numbers(tiny_checkpoint, capsys):
    args = ["evaluate", "--checkpoint", str(tiny_checkpoint), "--images", "data/eval", "--json"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert main(args[:-1]) == 0
    table = capsys.readouterr().out
    assert "mean" in table and "kodim23" in table


def test_denoise_writes_an_image_of_the_same_size(tiny_checkpoint, tmp_path, capsys):
    noisy = tmp_path / "noisy.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 52, 3), dtype=np.uint8)).save(noisy)
    out = tmp_path / "sub" / "clean.png"
    assert main(["denoise", "--checkpoint", str(tiny_checkpoint), str(noisy), str(out)]) == 0
    assert Image.open(out).size == (52, 40)


def test_without_checkpoint_the_noise_type_picks_its_shipped_model(tiny_checkpoint, tmp_path, monkeypatch, capsys):
    eval_dir = str(data_dir() / "eval")  # read before N2N_LAB_ROOT points elsewhere
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "n2n_poisson.pt").write_bytes(tiny_checkpoint.read_bytes())
    monkeypatch.setenv("N2N_LAB_ROOT", str(tmp_path))
    args = ["evaluate", "--images", eval_dir, "--noise", "poisson:30", "--json"]
    assert main(args) == 0
    by_default = capsys.readouterr().out
    assert main([*args, "--checkpoint", str(tiny_checkpoint)]) == 0
    assert capsys.readouterr().out == by_default  # the same model, so the same numbers
    out = tmp_path / "out.png"
    assert main(["denoise", "--noise-type", "poisson", f"{eval_dir}/sail.png", str(out)]) == 0 and out.is_file()
    assert main(["denoise", "--noise-type", "text", f"{eval_dir}/sail.png", str(out)]) == 2
    err = capsys.readouterr().err
    assert "n2n_text.pt is missing" in err and "pretrained train n2n_text" in err


def _truncated(path, tmp_path):
    cut = tmp_path / "truncated.pt"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return cut


def _nan_checkpoint(tmp_path):
    model = UNet()
    with torch.no_grad():
        next(model.parameters()).fill_(float("nan"))
    return save_checkpoint(tmp_path / "nan.pt", model)


def _float_dataset(tiny_data_dir, tmp_path):
    folder = tmp_path / "floats"
    folder.mkdir()
    images = torch.rand(4, 3, 32, 32)
    torch.save((images, images), folder / "train_data.pkl")
    torch.save((images, images), folder / "val_data.pkl")
    return folder


# (name, argv builder, words the one-line message must contain)
USER_ERRORS = [
    ("missing checkpoint", lambda d, c, t: ["evaluate", "--checkpoint", str(t / "nope.pt")], ["does not exist"]),
    ("truncated checkpoint", lambda d, c, t: ["evaluate", "--checkpoint", str(_truncated(c, t))], ["truncated or"]),
    ("not a checkpoint", lambda d, c, t: ["evaluate", "--checkpoint", str(d / "val_data.pkl")], ["not an n2n-lab"]),
    ("NaN weights", lambda d, c, t: ["evaluate", "--checkpoint", str(_nan_checkpoint(t))], ["NaN or infinite"]),
    ("bad noise spec", lambda d, c, t: ["evaluate", "--checkpoint", str(c), "--noise", "gauss:25"], ["gauss:25"]),
    ("empty image folder", lambda d, c, t: ["evaluate", "--checkpoint", str(c), "--images", str(t)],
     ["holds no images", "pass another folder"]),
    ("missing image folder", lambda d, c, t: ["evaluate", "--checkpoint", str(c), "--images", str(t / "nowhere")],
     ["nowhere does not exist"]),
    ("unknown source", lambda d, c, t: ["prepare", "--source", "mnist", "--out", str(t / "o")], ["mnist"]),
    ("empty folder source", lambda d, c, t: ["prepare", "--source", f"folder:{t}", "--out", str(t / "o")],
     ["no readable images"]),
    ("zero epochs", lambda d, c, t: ["train", "--data", str(d), "--out", str(t / "m.pt"), "--epochs", "0"], ["epochs"]),
    ("float dataset", lambda d, c, t: ["train", "--data", str(_float_dataset(d, t)), "--out", str(t / "m.pt")],
     ["uint8"]),
    ("no dataset", lambda d, c, t: ["train", "--data", str(t), "--out", str(t / "m.pt")], ["prepare"]),
    ("resume without a run", lambda d, c, t: ["train", "--data", str(d), "--out", str(t / "m.pt"), "--resume"],
     ["resume state", "does not exist"]),
    ("text file as image", lambda d, c, t: ["denoise", "--checkpoint", str(c), "pyproject.toml", str(t / "o.png")],
     ["cannot be read"]),
    ("unknown output type", lambda d, c, t: ["denoise", "--checkpoint", str(c), "data/eval/sail.png", str(t / "o.gif")],
     [".png"]),
    ("unknown option", lambda d, c, t: ["train", "--epochz", "3"], ["--epochz"]),
]  # fmt: skip


@pytest.mark.parametrize(("build", "words"), [case[1:] for case in USER_ERRORS], ids=[c[0] for c in USER_ERRORS])
def test_user_errors_give_one_line_and_status_2(build, words, tiny_data_dir, tiny_checkpoint, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:  # argparse exits; our errors return
        raise SystemExit(main(build(tiny_data_dir, tiny_checkpoint, tmp_path)))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for word in words:
        assert word in err


def test_a_real_process_prints_no_traceback(cli, tmp_path):
    done = cli("evaluate", "--checkpoint", tmp_path / "missing.pt")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_malicious_checkpoint_is_refused_and_its_payload_never_runs(cli, malicious_pickle):
    evil, marker = malicious_pickle
    for args in (("evaluate", "--checkpoint", evil), ("denoise", "--checkpoint", evil, "data/eval/sail.png", "x.png")):
        done = cli(*args)
        assert done.returncode == 2 and "refused" in done.stderr and "Traceback" not in done.stderr
    assert not marker.exists()


def test_malicious_dataset_is_refused_and_its_payload_never_runs(cli, malicious_pickle, tiny_data_dir, tmp_path):
    evil, marker = malicious_pickle
    folder = tmp_path / "evil-data"
    folder.mkdir()
    (folder / "train_data.pkl").write_bytes(evil.read_bytes())
    (folder / "val_data.pkl").write_bytes((tiny_data_dir / "val_data.pkl").read_bytes())
    for args in (("train", "--data", folder, "--out", tmp_path / "m.pt"), ("prepare", "--source", f"epfl:{folder}")):
        done = cli(*args)
        assert done.returncode == 2 and "refused" in done.stderr, done.stderr
    assert not marker.exists()


def test_train_defaults_are_the_libraries():

    args, defaults = build_parser().parse_args(["train"]), TrainConfig()
    for name in (
        "epochs",
        "batch_size",
        "optimizer",
        "lr",
        "momentum",
        "noise",
        "loss",
        "seed",
        "device",
        "max_batches",
    ):
        assert getattr(args, name) == getattr(defaults, name), name
