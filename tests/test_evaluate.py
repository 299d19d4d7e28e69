"""The evaluation protocol (n2n_lib.evaluate, notebooks 03 and 05): one image list, one seeded noise, one scoring.

The CLI, the baselines table and the benchmarks used to each carry their own copy of it; these tests pin that they now
see the very same noisy images, in the same order, from the same files.
"""

import importlib.util
import json
import re
from pathlib import Path

import pytest
import torch
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio
from torch import nn

from n2n_lib import checkpoint, data
from n2n_lib.__main__ import main
from n2n_lib.baselines import run_baselines
from n2n_lib.data import image_files, to_float
from n2n_lib.errors import InputError
from n2n_lib.evaluate import (
    MIN_CROP,
    center_crop,
    eval_images,
    evaluate_folder,
    evaluate_set,
    list_images,
    noisy_eval_set,
    read_images,
)
from n2n_lib.noise import add_noise

ROOT = Path(__file__).resolve().parents[1]


def _bench_common():
    """benchmarks/common.py, imported as the benchmark scripts do (it is a script folder, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "benchmarks" / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Spy(nn.Module):
    """A "model" that returns its input unchanged and remembers every input it saw, (3, H, W) each."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))  # denoise() reads the device from the parameters
        self.seen = []

    def forward(self, x):
        self.seen.extend(x.detach().clone())
        return x


def _save(image: torch.Tensor, path: Path, **options) -> None:
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(path, **options)


@pytest.fixture
def eval_root(tmp_path, monkeypatch):
    """A project root whose data/eval holds two PNGs and a JPEG (written out of name order), as the lab reads it."""
    photos = data.embedded_images()
    folder = tmp_path / "data" / "eval"
    folder.mkdir(parents=True)
    _save(photos["coffee"][:, :40, :56], folder / "zebra.png")
    _save(photos["astronaut"][:, :48, :40], folder / "apple.jpg", quality=95)
    _save(photos["chelsea"][:, :44, :52], folder / "mango.png")
    (folder / "SOURCES.md").write_text("not an image")
    monkeypatch.setenv("N2N_LAB_ROOT", str(tmp_path))
    return folder


def _expected(folder: Path, seed: int) -> list[torch.Tensor]:
    """The protocol written out by hand: file i in name order, noise from a generator seeded with seed + i."""
    files = sorted(p for p in folder.iterdir() if p.suffix in (".png", ".jpg"))
    return [
        add_noise(to_float(data.read_image(p))[None], "gaussian:25", generator=torch.Generator().manual_seed(seed + i))[
            0
        ]
        for i, p in enumerate(files)
    ]


def _same(seen: list[torch.Tensor], expected: list[torch.Tensor]) -> bool:
    """The spy saw exactly `expected`, up to the bf16 rounding `denoise` applies on hardware that computes in bf16."""
    return len(seen) == len(expected) and all(
        torch.equal(s, e.to(s.dtype)) for s, e in zip(seen, expected, strict=True)
    )


def test_cli_baselines_and_benchmarks_see_the_same_noisy_images(eval_root, monkeypatch, capsys):
    seed = 7
    expected = _expected(eval_root, seed)

    cli_spy = Spy()
    monkeypatch.setattr(checkpoint, "load_model", lambda path: (cli_spy, {}))
    assert main(["evaluate", "--checkpoint", "spy.pt", "--images", str(eval_root), "--seed", str(seed), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["images"]) == ["apple", "mango", "zebra"]  # the JPEG is scored, SOURCES.md is not

    table_spy = Spy()
    table = run_baselines(eval_images(), sigma=25, seed=seed, methods=[], extra={"spy": table_spy}, progress=False)

    bench_spy = Spy()
    bench = _bench_common().eval_psnr(bench_spy, "gaussian:25", seed=seed)
    assert list(bench) == ["apple", "mango", "zebra"]

    for spy in (cli_spy, table_spy, bench_spy):
        assert _same(spy.seen, expected)
    # The same images and noise give the same numbers: the table's noisy row is the CLI's mean noisy PSNR, and the
    # benchmark's unrounded PSNR of an identity "model" (fp32) is the CLI's noisy PSNR before rounding.
    assert table.set_index("method").loc["noisy input", "PSNR"] == pytest.approx(report["mean_noisy_psnr"], abs=0.011)
    for name, value in bench.items():
        assert round(value, 2) == report["images"][name]["noisy_psnr"]


def test_noise_follows_name_order_whatever_the_mapping_order(eval_root):
    images = read_images(eval_root)
    assert list(images) == ["apple", "mango", "zebra"]
    shuffled = {name: images[name] for name in ("zebra", "apple", "mango")}
    forward, backward = noisy_eval_set(images, "gaussian:25", 3), noisy_eval_set(shuffled, "gaussian:25", 3)
    assert [item.name for item in backward] == ["apple", "mango", "zebra"]
    for a, b, noisy in zip(forward, backward, _expected(eval_root, 3), strict=True):
        assert torch.equal(a.noisy, b.noisy) and torch.equal(a.noisy, noisy)
        assert a.clean.dtype == torch.float32 and a.clean.shape == a.noisy.shape
    alone = noisy_eval_set({"mango": images["mango"]}, "gaussian:25", 3)[0]  # first in its own set: seed 3 + 0
    assert not torch.equal(alone.noisy, forward[1].noisy)


def test_every_image_suffix_is_read_by_the_folder_source_and_the_evaluation_alike(tmp_path):
    image = torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)
    for i, suffix in enumerate(sorted(data.IMAGE_SUFFIXES)):
        _save(image, tmp_path / f"img{i}{suffix.upper() if i == 0 else suffix}")
    (tmp_path / ".hidden.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    listed = list_images(tmp_path)
    assert len(listed) == len(data.IMAGE_SUFFIXES)
    with pytest.warns(UserWarning, match="notes.txt"):
        assert listed == image_files(tmp_path)
    assert set(read_images(tmp_path)) == {f"img{i}" for i in range(len(data.IMAGE_SUFFIXES))}


def test_missing_empty_or_ambiguous_folders_are_named(tmp_path, monkeypatch):
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'nowhere'} does not exist")):
        list_images(tmp_path / "nowhere")
    (tmp_path / "README.md").write_text("no images here")
    with pytest.raises(InputError, match=re.escape(f"{tmp_path} holds no images")):
        evaluate_folder(Spy(), tmp_path, "gaussian:25")
    monkeypatch.setenv("N2N_LAB_ROOT", str(tmp_path))  # a project without data/eval
    with pytest.raises(InputError, match="eval does not exist"):
        eval_images()
    image = torch.zeros(3, 20, 20, dtype=torch.uint8)
    _save(image, tmp_path / "a.png")
    _save(image, tmp_path / "a.jpg")
    with pytest.raises(InputError, match="a.jpg and a.png"):
        read_images(tmp_path)


def test_center_crop_takes_the_middle_and_refuses_bad_sizes():
    image = torch.arange(3 * 40 * 50, dtype=torch.float32).reshape(3, 40, 50)
    assert torch.equal(center_crop(image, 20), image[:, 10:30, 15:35])
    assert center_crop(image, 45).shape == (3, 40, 45)  # a side shorter than the crop is kept whole
    assert center_crop(image, None) is image
    for size in (0, -3, 2.5, True, "96"):
        with pytest.raises(InputError, match="crop size"):
            center_crop(image, size)


def test_eval_set_crops_must_fit_every_image():
    images = {"big": torch.zeros(3, 64, 80, dtype=torch.uint8), "small": torch.zeros(3, 30, 70, dtype=torch.uint8)}
    item = noisy_eval_set(images, "gaussian:25", crop=24)[1]
    assert item.name == "small" and item.clean.shape == item.noisy.shape == (3, 24, 24)
    with pytest.raises(InputError, match=r"crop=32 does not fit image 'small' \(30×70\)"):
        noisy_eval_set(images, "gaussian:25", crop=32)
    with pytest.raises(InputError, match=f"between {MIN_CROP}"):
        noisy_eval_set(images, "gaussian:25", crop=MIN_CROP - 1)
    with pytest.raises(InputError, match="crop size"):
        noisy_eval_set(images, "gaussian:25", crop=24.0)
    with pytest.raises(InputError, match="uint8"):
        noisy_eval_set({"a": torch.zeros(3, 40, 40)}, "gaussian:25")
    with pytest.raises(InputError, match="empty"):
        noisy_eval_set({}, "gaussian:25")


def test_evaluate_set_scores_any_denoiser_against_a_reference():
    photos = data.embedded_images()
    images = {name: photos[name][:, :64, :80] for name in ("chelsea", "coffee")}
    eval_set = noisy_eval_set(images, "gaussian:25", seed=0)

    def blur(x: torch.Tensor) -> torch.Tensor:  # a 3×3 mean filter, (3, H, W) -> (3, H, W)
        return torch.nn.functional.avg_pool2d(x[None], 3, stride=1, padding=1, count_include_pad=False)[0]

    report = evaluate_set(blur, eval_set)
    assert set(report) == {"images", "mean_noisy_psnr", "mean_psnr", "mean_noisy_ssim", "mean_ssim"}
    for item in eval_set:
        scores = report["images"][item.name]
        assert list(scores) == ["noisy_psnr", "psnr", "noisy_ssim", "ssim"]
        reference = peak_signal_noise_ratio(
            item.clean.double().numpy(), blur(item.noisy).clamp(0, 1).double().numpy(), data_range=1.0
        )
        assert scores["psnr"] == pytest.approx(reference, abs=0.005)  # rounded to 0.01 dB
        assert scores["psnr"] > scores["noisy_psnr"] + 2 and scores["ssim"] > scores["noisy_ssim"]
    assert report["mean_psnr"] == round(sum(r["psnr"] for r in report["images"].values()) / 2, 2)
    exact = evaluate_set(blur, eval_set, with_ssim=False, rounded=False)
    assert set(exact) == {"images", "mean_noisy_psnr", "mean_psnr"}
    assert round(exact["mean_psnr"], 2) == pytest.approx(report["mean_psnr"], abs=0.011)
    identity = evaluate_set(lambda x: x, eval_set)
    assert all(r["psnr"] == r["noisy_psnr"] and r["ssim"] == r["noisy_ssim"] for r in identity["images"].values())


def test_evaluate_set_refuses_a_wrong_denoiser_or_an_empty_set():
    eval_set = noisy_eval_set({"a": torch.zeros(3, 32, 32, dtype=torch.uint8)}, "gaussian:25")
    with pytest.raises(InputError, match=r"returned \(3, 16, 16\) for image 'a'"):
        evaluate_set(lambda x: x[:, :16, :16], eval_set)
    with pytest.raises(InputError, match="denoiser is a str"):
        evaluate_set("n2n_gaussian", eval_set)
    with pytest.raises(InputError, match="empty"):
        evaluate_set(Spy(), [])
