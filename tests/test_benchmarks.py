"""The benchmarks run from the README commands and report what they promise (keys, positive numbers), on tiny sizes.

No timing is asserted here: speed targets are side-by-side ratios recorded in benchmarks/RESULTS.md.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def bench(name: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def bench_json(name: str, *args) -> dict:
    done = bench(name, "--quick", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_train_throughput_compares_the_library_with_the_baseline():
    r = bench_json(
        "train_throughput", "--n-train", 64, "--batch-size", 16, "--steps", 2, "--warmup", 1, "--device", "cpu"
    )
    assert {"device", "preset", "lib_img_s", "baseline_img_s", "ratio"} <= r.keys()
    assert r["device"] == "cpu" and r["preset"] == "small" and r["batch_size"] == 16
    assert len(r["lib_img_s_repeats"]) == len(r["baseline_img_s_repeats"]) == r["repeats"] == 3
    assert r["lib_img_s"] > 0 and r["baseline_img_s"] > 0
    assert r["ratio"] == pytest.approx(r["lib_img_s"] / r["baseline_img_s"], rel=0.02)  # both rounded


def test_train_throughput_prints_a_table_with_the_ratio():
    done = bench("train_throughput", "--quick", "--n-train", 32, "--batch-size", 16, "--steps", 1, "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert "median" in done.stdout and "ratio" in done.stdout and "baseline" in done.stdout


def test_inference_latency_times_each_precision_and_its_psnr_change(tiny_checkpoint):
    r = bench_json("inference_latency", "--checkpoint", tiny_checkpoint, "--size", 64, "--repeats", 2)
    assert r["paths"].keys() == {"fp32", "bf16"} and r["auto_precision"] in r["paths"]
    for path in r["paths"].values():
        assert path["latency_ms"] > 0 and 10 < path["eval_psnr"] < 50
    assert r["paths"]["fp32"]["psnr_change_db"] == 0
    assert abs(r["paths"]["bf16"]["psnr_change_db"]) < 0.5  # bf16 must not visibly damage the picture
    assert r["latency_ms"] == r["paths"][r["auto_precision"]]["latency_ms"]


def test_inference_latency_names_a_missing_checkpoint(tmp_path):
    done = bench("inference_latency", "--quick", "--checkpoint", tmp_path / "missing.pt")
    assert done.returncode == 2
    assert "missing.pt" in done.stderr and "Traceback" not in done.stderr


def test_time_to_psnr_records_psnr_against_training_time_per_precision():
    args = ("--precisions", "bf16,fp32", "--seeds", "0,1", "--n-train", 64, "--n-val", 8, "--device", "cpu")
    r = bench_json("time_to_psnr", *args)
    assert r["runs"].keys() == {"bf16", "fp32"} and r["epochs"] == 2 and r["seeds"] == [0, 1]
    for run in r["runs"].values():
        assert len(run["seconds"]) == len(run["eval_psnr"]) == len(run["val_psnr"]) == 2
        assert 0 < run["seconds"][0] < run["seconds"][1]  # cumulative training time
        assert all(math.isfinite(p) and 10 < p < 50 for p in run["eval_psnr"])
        assert run["final_eval_psnr"] == run["eval_psnr"][-1] and len(run["final_eval_psnr_per_seed"]) == 2
    assert r["runs"]["fp32"]["psnr_change_db"] == 0
    bf16 = r["runs"]["bf16"]
    assert bf16["computes_in"] == "bf16" and bf16["psnr_change_se_db"] is not None  # paired over two seeds
    assert all(run["seconds_to_target"] is not None for run in r["runs"].values())  # the target is below each best


def test_pretrained_quality_scores_the_shipped_model_beside_non_local_means():
    r = bench_json("pretrained_quality", "--models", "n2n_gaussian")
    rows = r["psnr"]["25"]
    assert set(rows) == {"noisy input", "non-local means", "n2n_gaussian"}
    for row in rows.values():
        assert len(row["images"]) == 5 and row["mean"] == pytest.approx(sum(row["images"].values()) / 5, abs=0.01)
    assert rows["n2n_gaussian"]["mean"] > rows["noisy input"]["mean"] + 5  # it denoises
    t = r["training"]["n2n_gaussian"]
    assert t["epochs"] >= t["best_epoch"] >= 1 and t["best_val_psnr_by_hour"]


def test_twin_crops_scores_both_twins_per_crop_size_and_probes_the_decoder():
    r = bench_json("twin_crops", "--sigma", 25)
    assert r["noise"] == "gaussian:25" and set(r["psnr"]) == {"64", "whole"}
    for by_twin in r["psnr"].values():
        assert set(by_twin) == {"n2n_gaussian", "n2c_gaussian"}
        assert set(by_twin["n2n_gaussian"]) == {"barbara", "kodim23", "monarch", "sail", "tulips"}
        assert all(scores["psnr"] > scores["noisy_psnr"] for scores in by_twin["n2n_gaussian"].values())
    peaks = r["peaks"]["n2n_gaussian"]
    assert "dec_conv1a" in peaks and peaks["output"] == pytest.approx(peaks["dec_conv1c"])
    assert all(value > 0 for value in peaks.values())


def test_noise_type_quality_scores_a_shipped_model_and_summarises_its_training():
    r = bench_json("noise_type_quality", "--kinds", "bernoulli")
    k = r["kinds"]["bernoulli"]
    assert k["checkpoint"] == "checkpoints/n2n_bernoulli.pt" and k["loss"] == "l2_masked"
    assert list(k["psnr"]) == ["bernoulli:0.5"]  # --quick: the gallery's level only
    assert k["psnr"]["bernoulli:0.5"]["denoised"] > k["psnr"]["bernoulli:0.5"]["noisy"] + 10
    assert k["hours"] > 0 and 1 <= k["best_epoch"] <= k["epochs"]
