"""The HTML lab report (n2n_lib.lab.report, `make report`)."""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from n2n_lib.errors import InputError
from n2n_lib.lab import report
from n2n_lib.lab.report import build_report, main, summary_bullets
from n2n_lib.model import UNetConfig
from n2n_lib.results import (
    ALL,
    Architecture,
    AugmentationAblation,
    Baselines,
    BaselineSettings,
    Conclusion,
    DataSummary,
    Evaluation,
    NoiseTypeResult,
    NoiseTypes,
    PresetSummary,
    PretrainedEval,
    ReceptiveField,
    RunSummary,
    Training,
    TrainingEvaluation,
    TuningSummary,
    TuningTable,
    TwinEvaluation,
)
from n2n_lib.verdict import compare

SECTION_TITLES = [
    "Data",
    "Architecture",
    "Training curve and PSNR",
    "Tuning table",
    "Inference across noise types",
    "Conclusions",
    "Limitations",
]


def _png(path, label):
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.set_title(label)
    fig.savefig(path, format="png", dpi=20)
    plt.close(fig)


def _notebook(path, summary, parameters):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 03 · Training"},
        {"cell_type": "markdown", "metadata": {}, "source": summary.splitlines(keepends=True)},
        {"cell_type": "markdown", "metadata": {}, "source": "## Exercises\n\n* not a summary bullet"},
    ]
    meta = {"papermill": {"parameters": parameters, "duration": 61.4}}
    path.write_text(json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))


SEED_SCORES = {"N2N": [24.89, 24.97, 24.74], "N2C": [24.92, 24.95, 24.8]}  # data/eval PSNR of seeds 0, 1, 2
BUDGET = {
    "epochs": 4,
    "batch_size": 32,
    "max_batches": 80,
    "optimizer": "adam",
    "lr": 0.001,
    "momentum": 0.9,
    "seed": 0,
}
HISTORY = {"epoch": [1, 2], "val_psnr": [13.579, 24.53], "seconds": [4.1, 4.2]}  # 13.579: must not reach the page


def _evaluation(psnr: dict[str, float], **ssim) -> dict:
    """What `evaluate_folder` returns, for images → denoised PSNR (noisy input 20.37 dB each)."""
    images = {name: {"noisy_psnr": 20.37, "psnr": value} for name, value in psnr.items()}
    return {"images": images, "mean_noisy_psnr": 20.37, "mean_psnr": round(sum(psnr.values()) / len(psnr), 2), **ssim}


def _training() -> Training:
    runs = {
        label: RunSummary(best_epoch=4, best_val_psnr=best, seconds=16.5, train_config=BUDGET, history=HISTORY)
        for label, best in (("N2N", 24.53), ("N2C", 24.8), ("adam", 24.53), ("sgd", 22.38), ("overfit", 24.35))
    }
    ablation = [{"augmentation": "flips + swap", "best_val_psnr_db": 21.82, "best_epoch": 2, "seconds": 5.4}]
    evaluation = TrainingEvaluation(
        noise="gaussian:25",
        seed=0,
        folder="data/eval",
        N2N=Evaluation(**_evaluation({"kodim23": 24.83, "monarch": 24.95})),
        N2C=Evaluation(**_evaluation({"kodim23": 24.79, "monarch": 25.05})),
    )
    return Training(
        profile="quick",
        preset="small",
        model_config=UNetConfig.preset("small").to_dict(),
        device="cpu",
        data={"source": "embedded", "noise": "gaussian:25", "seed": 0, "n_train": 6250, "n_val": 500},
        noisy_val_psnr=21.1,
        budgets={"main": BUDGET, "ablation": {**BUDGET, "epochs": 2, "max_batches": 50}},
        runs=runs,
        gap_n2c_minus_n2n_db=0.27,
        report_sgd="FloatingPointError: training diverged at epoch 1 (loss nan)",
        augmentation_ablation=ablation,
        evaluation=evaluation,
        checkpoints={"N2N": "checkpoints/n2n_embedded.pt", "N2C": "checkpoints/n2c_embedded.pt"},
        seeds=[0, 1, 2],
        seed_scores=SEED_SCORES,
        verdicts={"N2N vs N2C": str(compare("N2N", SEED_SCORES["N2N"], "N2C", SEED_SCORES["N2C"], paired=True))},
    )


def _write_01_02(folder: Path) -> None:
    DataSummary(
        source="embedded",
        noise="gaussian:25",
        noise_label="Gaussian σ=25",
        seed=0,
        folder="data/embedded",
        n_train=6250,
        n_val=500,
        patch_shape=[3, 32, 32],
        dtype="uint8",
        files_mb={"train_data.pkl": 38.4, "val_data.pkl": 3.07},
        sigma_from_pairs=23.52,
        val_mean=1.85,
        val_sigma=22.49,
        val_noisy_psnr_db=21.1,
    ).write(folder)
    presets = {
        name: PresetSummary(
            config=UNetConfig.preset(name).to_dict(),
            parameters=parameters,
            receptive_field_px=ReceptiveField(min=low, max=high, by_grid_position=[low, high, high, low]),
        )
        for name, parameters, low, high in (("small", 134787, 64, 72), ("paper", 991203, 256, 288))
    }
    Architecture(presets=presets, receptive_field_measured_px={"small@64": 64}, paper_table2_matches=True).write(folder)


def _write_04(folder: Path) -> None:
    trials = [[0.0125297, "LeakyReLU", "off", 0.0100327, 0.661589, 12.37], [0.036, "ReLU", "on", 0.0115, 0.699, 9.24]]
    TuningTable(pd.DataFrame(trials, columns=list(TuningTable.COLUMNS))).write(folder)
    TuningSummary(
        profile="quick",
        search={"num_samples": 12, "epochs": 4, "asha": True},
        ray={"mode": "local", "nodes": 1, "cpus": 2.0, "gpus": 0.0},
        seconds=95.4,
        status={"stopped early": 9, "ok": 3},
        conclusions=[Conclusion(claim="ReLU is no better than LeakyReLU", ours="ReLU 0.0360", verdict="confirms")],
    ).write(folder)


def _write_05(folder: Path) -> None:
    rows = [
        ("noisy input", 20.39, 0.364, 0.0),
        ("mean filter 3×3", 26.85, 0.712, 0.002),
        ("CBM3D", 32.21, 0.903, 3.32),
        ("N2C", 23.68, 0.665, 0.0147),
        ("N2N", 23.67, 0.667, 0.00949),
        ("N2N shipped (blind)", 32.5, 0.9, 0.00886),  # a network, not a classical method, though it beats CBM3D
    ]
    Baselines(pd.DataFrame(rows, columns=list(Baselines.COLUMNS))).write(folder)
    networks = {"N2C": "checkpoints/n2c_embedded.pt", "N2N": "checkpoints/n2n_embedded.pt"}
    networks["N2N shipped (blind)"] = "checkpoints/n2n_gaussian.pt"
    BaselineSettings(
        noise="gaussian:25", seed=0, crop=96, images=["kodim23", "monarch"], profile="quick", networks=networks
    ).write(folder)
    kinds = {
        "gaussian": NoiseTypeResult(spec="gaussian:25", label="Gaussian σ=25", loss="l2", noisy_psnr=20.39, psnr=26.64),
        "impulse": NoiseTypeResult(
            spec="impulse:0.3",
            label="Impulse p=0.3",
            loss="l0",
            noisy_psnr=13.86,
            psnr=21.77,
            shipped_psnr=27.02,
            shipped_checkpoint="checkpoints/n2n_impulse.pt",
        ),
    }
    NoiseTypes(kinds=kinds).write(folder)
    ssim = {"mean_noisy_ssim": 0.412, "mean_ssim": 0.912}
    PretrainedEval(
        checkpoint="checkpoints/n2n_gaussian.pt",
        noise="gaussian:25",
        seed=0,
        **_evaluation({"kodim23": 33.4, "monarch": 33.26}, **ssim),
        twin=TwinEvaluation(
            checkpoint="checkpoints/n2c_gaussian.pt", **_evaluation({"kodim23": 33.2, "monarch": 33.0})
        ),
    ).write(folder)


def _write_results(folder: Path) -> None:
    """Every file of results/ as notebooks 01-05 write it, through the same dataclasses, with realistic values."""
    _write_01_02(folder)
    training = _training()
    training.write(folder)
    AugmentationAblation(pd.DataFrame(training.augmentation_ablation)).write(folder)
    _write_04(folder)
    _write_05(folder)


@pytest.fixture
def lab(tmp_path):
    """results/ (written through n2n_lib.results, as the notebooks do), figures/ and runs/quick/."""
    results, figures, runs = tmp_path / "results", tmp_path / "figures", tmp_path / "runs" / "quick"
    for folder in (results, figures, runs):
        folder.mkdir(parents=True)
    _write_results(results)
    for name in ("fig_noise_types", "fig_receptive_field", "fig1_training_curves", "fig_tuning_lr", "fig2_noise_types"):
        _png(figures / f"{name}.png", name)
    _png(figures / "fig_something_else.png", "other")
    _notebook(
        runs / "03_training.ipynb",
        "## Summary\n\n* `fit` trains with **noisy targets**\n  and keeps the best epoch.\n* N2N ≈ N2C.\n",
        {"PROFILE": "quick", "EPOCHS": 4},
    )
    return results, figures, runs


def test_report_has_the_lab_report_sections_numbers_and_figures(lab):
    results, figures, runs = lab
    page = build_report(results, figures, runs)
    headings = re.findall(r"<h2>\d+ · ([^<]+)</h2>", page)
    assert headings == SECTION_TITLES
    for number in ("6250", "134787", "24.53", "21.82", "0.0125297", "32.21", "23.67", "26.64"):
        assert number in page
    # Nested JSON: one table row per run, per image, per conclusion; per-epoch histories are left to the figures.
    assert "<caption>runs</caption>" in page and "<caption>evaluation.N2N.images</caption>" in page
    assert '<td>kodim23</td><td class="num">20.37</td><td class="num">24.83</td>' in page
    assert "<td>ReLU is no better than LeakyReLU</td><td>ReLU 0.0360</td><td>confirms</td>" in page
    assert "13.579" not in page
    # Every figure is embedded (self-contained file), including one no section claims.
    for name in ("fig_noise_types", "fig1_training_curves", "fig_tuning_lr", "fig2_noise_types", "fig_something_else"):
        assert re.search(rf'alt="{name}" src="data:image/png;base64,[A-Za-z0-9+/=]{{100,}}"', page)
    assert "missing" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    # Conclusions: computed from the numbers, plus the notebooks' own Summary bullets.
    assert "reaches 23.67 dB on centre crops (96×96 px) of data/eval" in page
    assert "Noise2Noise reaches 24.89 dB and Noise2Clean 24.92 dB (noisy input 20.37 dB)" in page
    assert "Over 3 seeds: N2N 24.87 ± 0.12 dB vs N2C 24.89 ± 0.08 dB (3 seeds each): indistinguishable" in page
    key_results = page.index("<h2>Key results</h2>")  # the headline numbers come first, before section 1
    assert key_results < page.index("<h2>1 · ") and "CBM3D at 32.21 dB" in page[key_results : page.index("<h2>1 · ")]
    assert "-0.01 dB from the same network trained on clean targets" in page
    assert "gaussian +6.25 dB, impulse +7.91 dB" in page
    assert (
        "over the quick model of notebook 05: impulse 27.02 dB (+5.25 dB)." in page
    )  # only kinds with a shipped model
    assert "checkpoints/n2n_gaussian.pt) reaches 33.33 dB, SSIM 0.912 on the whole data/eval images" in page
    assert "its twin trained on clean targets (checkpoints/n2c_gaussian.pt) reaches 33.10 dB" in page
    assert "<td>impulse</td><td>impulse:0.3</td>" in page  # one table row per noise type
    # the shipped network heads the comparison, but is not counted among the classical methods
    assert "best classical method is CBM3D at 32.21 dB (+0.29 dB for N2N shipped (blind))" in page
    assert "Against the linear filters, the network of notebook 03 (N2N) scores: mean filter 3×3 -3.18 dB." in page
    assert "<code>fit</code> trains with <strong>noisy targets</strong> and keeps the best epoch." in page
    assert "not a summary bullet" not in page
    assert "EPOCHS=4" in page and "03_training.ipynb" in page


def test_notebooks_not_run_are_said_so_visibly(tmp_path, lab):
    results, figures, _ = lab
    for name in ("tuning_table.csv", "tuning_summary.json", "training.json"):
        (results / name).unlink()
    page = build_report(results, figures, runs=tmp_path / "nothing-here")
    key_results = page[page.index("<h2>Key results</h2>") : page.index("<h2>1 · ")]
    assert "Notebook 03 has not been run: no training results." in key_results
    assert "Notebook 04 has not been run: no tuning table, no tuning results." in key_results
    assert (
        "Notebook 04 has not been run: no tuning table; run notebook 04 "
        "(notebooks/04_hyperparameter_tuning.ipynb, or <code>make run</code>) to write results/tuning_table.csv."
    ) in page
    assert "Noise2Noise reaches" not in page and "augmentation_ablation.csv</h3>" in page  # the other file of 03
    assert "No executed notebooks" in page
    empty = build_report(tmp_path / "no-results", tmp_path / "no-figures")
    assert re.findall(r"<h2>\d+ · ([^<]+)</h2>", empty) == SECTION_TITLES
    assert empty.count('class="missing"') >= 2 * len(ALL)  # in its section and under Key results


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("training.json", '"mean_psnr"', '"mean_psnr_db"', r"'evaluation\.N2N\.mean_psnr' is missing"),
        ("noise_types.json", '"noisy_psnr"', '"noisy_psnr_db"', r"'gaussian\.noisy_psnr' is missing"),
        ("baselines.csv", "method,PSNR,", "method,psnr,", r"missing \['PSNR'\], unexpected \['psnr'\]"),
        ("tuning_table.csv", "learning rate", "lr", r"missing \['learning rate'\]"),
        ("data_summary.json", "{", "{not json", "not valid JSON"),
    ],
)
def test_a_renamed_key_or_column_fails_loudly(lab, capsys, monkeypatch, name, old, new, message):
    """A file that exists but does not match what its notebook writes stops the report: no silently missing sentence."""
    results, figures, runs = lab
    path = results / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=f"{re.escape(name)} is not what notebook 0[1-5] writes: .*{message}"):
        build_report(results, figures, runs)
    monkeypatch.setattr(report, "results_dir", lambda: results)
    assert main(["--runs", str(runs), "--out", str(runs / "lab_report.html")]) == 2
    assert re.search(rf"^error: .*{re.escape(name)}.*to write it again\.$", capsys.readouterr().err.strip())
    assert not (runs / "lab_report.html").exists()


def test_text_from_results_is_escaped(lab):
    results, figures, runs = lab
    rows = [("<script>x</script>", 1.0, 0.1, 0.0)]
    Baselines(pd.DataFrame(rows, columns=list(Baselines.COLUMNS))).write(results)
    page = build_report(results, figures, runs)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_summary_bullets_join_continuation_lines(lab):
    _, _, runs = lab
    assert summary_bullets(runs / "03_training.ipynb") == [
        "`fit` trains with **noisy targets** and keeps the best epoch.",
        "N2N ≈ N2C.",
    ]


def test_command_writes_one_html_file(lab, tmp_path, monkeypatch, capsys):
    results, figures, runs = lab
    monkeypatch.setattr(report, "results_dir", lambda: results)
    monkeypatch.setattr(report, "figures_dir", lambda: figures)
    out = tmp_path / "out" / "lab_report.html"
    assert main(["--runs", str(runs), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "n2n-lab report (quick profile)" in page
    printed = capsys.readouterr().out
    assert "wrote" in printed and "* Trained on noisy targets only, the network reaches 23.67 dB" in printed
    (results / "tuning_summary.json").unlink()
    assert main(["--runs", str(runs), "--out", str(out)]) == 0
    assert "* Notebook 04 has not been run: no tuning results." in capsys.readouterr().out
    assert main(["--profile", "fast", "--out", str(out)]) == 2
    assert "PROFILE='fast'" in capsys.readouterr().err
