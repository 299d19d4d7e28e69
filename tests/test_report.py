"""The HTML lab report (n2n_lib.lab.report, `make report`)."""

import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from n2n_lib.lab import report
from n2n_lib.lab.report import build_report, main, summary_bullets

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


@pytest.fixture
def lab(tmp_path):
    """Fake results/, figures/ and runs/quick/ as the five notebooks would leave them."""
    results, figures, runs = tmp_path / "results", tmp_path / "figures", tmp_path / "runs" / "quick"
    for folder in (results, figures, runs):
        folder.mkdir(parents=True)
    (results / "data_summary.json").write_text(json.dumps({"source": "embedded", "n_train": 6250, "val_sigma": 22.49}))
    (results / "architecture.json").write_text(
        json.dumps({"presets": {"small": {"parameters": 134787}, "paper": {"parameters": 991203}}})
    )
    training = {
        "runs": {"N2N": {"best_val_psnr": 27.04, "history": {"val_psnr": [1.5, 2.5]}}, "N2C": {"best_val_psnr": 27.31}},
        "evaluation": {
            "noise": "gaussian:25",
            "N2N": {"images": {"kodim23": {"psnr": 28.76}}, "mean_psnr": 28.76, "mean_noisy_psnr": 20.37},
            "N2C": {"images": {"kodim23": {"psnr": 28.91}}, "mean_psnr": 28.91, "mean_noisy_psnr": 20.37},
        },
    }
    (results / "training.json").write_text(json.dumps(training))
    (results / "augmentation_ablation.csv").write_text("augmentation,best_val_psnr_db\nflips + swap,26.31\n")
    tuning = {"conclusions": [{"claim": "ReLU", "verdict": "confirms"}]}
    (results / "tuning_summary.json").write_text(json.dumps(tuning))
    (results / "tuning_table.csv").write_text("activation,batch_norm,lr,val_psnr\nleaky_relu,False,0.001,26.87\n")
    (results / "baselines.csv").write_text(
        "method,PSNR,SSIM,seconds_per_image\nnoisy input,20.39,0.364,0.0\nCBM3D,32.21,0.903,7.2\n"
        "N2C,30.12,0.861,0.05\nN2N,29.87,0.855,0.05\n"
    )
    (results / "baselines_settings.json").write_text(json.dumps({"sigma": 25, "seed": 0, "crop": 96}))
    (results / "noise_types.json").write_text(
        json.dumps(
            {
                "gaussian": {"spec": "gaussian:25", "noisy_psnr": 20.4, "psnr": 27.5},
                "impulse": {"spec": "impulse:0.3", "noisy_psnr": 11.02, "psnr": 24.52},
            }
        )
    )
    (results / "pretrained_eval.json").write_text(
        json.dumps(
            {
                "checkpoint": "checkpoints/n2n_gaussian.pt",
                "noise": "gaussian:25",
                "images": {"kodim23": {"noisy_psnr": 20.3, "psnr": 31.17}},
                "mean_noisy_psnr": 20.3,
                "mean_psnr": 31.17,
            }
        )
    )
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
    for number in ("6250", "134787", "27.04", "26.31", "26.87", "32.21", "29.87", "27.5"):
        assert number in page
    # Nested JSON: one table row per run, per image, per conclusion; per-epoch histories are left to the figures.
    assert "<caption>runs</caption>" in page and "<caption>evaluation.N2N.images</caption>" in page
    assert '<td>kodim23</td><td class="num">28.76</td>' in page
    assert "<td>ReLU</td><td>confirms</td>" in page
    assert "1.5" not in page
    # Every figure is embedded (self-contained file), including one no section claims.
    for name in ("fig_noise_types", "fig1_training_curves", "fig_tuning_lr", "fig2_noise_types", "fig_something_else"):
        assert re.search(rf'alt="{name}" src="data:image/png;base64,[A-Za-z0-9+/=]{{100,}}"', page)
    assert "missing" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    # Conclusions: computed from the numbers, plus the notebooks' own Summary bullets.
    assert "reaches 29.87 dB on centre crops (96×96 px) of data/eval" in page
    assert "Noise2Noise reaches 28.76 dB and Noise2Clean 28.91 dB (noisy input 20.37 dB)" in page
    key_results = page.index("<h2>Key results</h2>")  # the headline numbers come first, before section 1
    assert key_results < page.index("<h2>1 · ") and "CBM3D at 32.21 dB" in page[key_results : page.index("<h2>1 · ")]
    assert "-0.25 dB from the same network trained on clean targets" in page
    assert "gaussian +7.10 dB, impulse +13.50 dB" in page
    assert "checkpoints/n2n_gaussian.pt) reaches 31.17 dB" in page
    assert "<td>impulse</td><td>impulse:0.3</td>" in page  # one table row per noise type
    assert "best classical method is CBM3D at 32.21 dB" in page
    assert "<code>fit</code> trains with <strong>noisy targets</strong> and keeps the best epoch." in page
    assert "not a summary bullet" not in page
    assert "EPOCHS=4" in page and "03_training.ipynb" in page


def test_missing_or_broken_inputs_become_notes(tmp_path, lab):
    results, figures, _ = lab
    (results / "training.json").write_text("{not json")
    (results / "tuning_table.csv").unlink()
    page = build_report(results, figures, runs=tmp_path / "nothing-here")
    assert "training.json cannot be read" in page
    assert "tuning_table.csv is missing: run notebook 04" in page
    assert "No executed notebooks" in page
    empty = build_report(tmp_path / "no-results", tmp_path / "no-figures")
    assert re.findall(r"<h2>\d+ · ([^<]+)</h2>", empty) == SECTION_TITLES
    assert empty.count('class="missing"') >= 10


def test_text_from_results_is_escaped(lab):
    results, figures, runs = lab
    (results / "baselines.csv").write_text("method,PSNR,SSIM,seconds_per_image\n<script>x</script>,1.0,0.1,0\n")
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
    assert "wrote" in printed and "* Trained on noisy targets only, the network reaches 29.87 dB" in printed
    assert main(["--profile", "fast", "--out", str(out)]) == 2
    assert "PROFILE='fast'" in capsys.readouterr().err
