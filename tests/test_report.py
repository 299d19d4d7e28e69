"""The HTML lab report (n2n_lib.lab.report, `make report`)."""

import html
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from n2n_lib.errors import InputError
from n2n_lib.lab.report import CAPTIONS, STUDENT_REPORT, build_report, main, pdf, summary_bullets
from n2n_lib.lab.report.pdf import PdfSkipped, find_chromium, write_pdf
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
    "Abstract",
    "1 · The student report and this lab",
    "2 · Data",
    "3 · Architecture",
    "4 · Training",
    "5 · Hyperparameter tuning",
    "6 · Inference across noise types",
    "7 · Comparison with classical methods",
    "8 · Conclusions",
    "9 · Limitations",
    "Appendix A · Configuration",
    "Appendix B · Executed notebooks",
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
        **_evaluation({"kodim23": 33.4, "monarch": 33.26, "sail": 31.0}, **ssim),
        twin=TwinEvaluation(
            checkpoint="checkpoints/n2c_gaussian.pt", **_evaluation({"kodim23": 33.2, "monarch": 33.0, "sail": 30.7})
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


SHOWN = ("fig2_noise_types", "fig_receptive_field", "fig1_training_curves", "fig_tuning_lr_momentum", "fig_noise_types")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def lab(tmp_path):
    """results/ (written through n2n_lib.results, as the notebooks do), figures/ and runs/quick/."""
    results, figures, runs = tmp_path / "results", tmp_path / "figures", tmp_path / "runs" / "quick"
    for folder in (results, figures, runs):
        folder.mkdir(parents=True)
    _write_results(results)
    for name in SHOWN:
        _png(figures / f"{name}.png", name)
    _png(figures / "fig_something_else.png", "other")
    _notebook(
        runs / "03_training.ipynb",
        "## Summary\n\n* `fit` trains with **noisy targets**\n  and keeps the best epoch.\n* N2N ≈ N2C.\n",
        {"PROFILE": "quick", "EPOCHS": 4},
    )
    return results, figures, runs


def _headings(page: str) -> list[str]:
    return re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page)


def _between(page: str, start: str, end: str | None = None) -> str:
    """The page from heading `start` to heading `end` (or to the end)."""
    begin = page.index(f">{start}</h2>")
    return page[begin : page.index(f">{end}</h2>") if end else None]


def _visible(page: str) -> str:
    """The page without style, embedded images and tags: what a reader sees."""
    page = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    page = re.sub(r'src="data:[^"]*"', "", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


JSON_PATH = re.compile(r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*\.[A-Za-z_]\w*\b")  # files_mb.train_data.pkl, a.b.c
RAW_FLOAT = re.compile(r"\d\.\d{5,}")  # 0.0125297, 13.57900


def assert_readable(page: str) -> None:
    """No raw JSON path in labels, cells, headings or captions (file names shown as `code` aside), no float with five
    or more decimals anywhere, no identifier with underscores as a column name."""
    without_code = re.sub(r"<code>.*?</code>", "", page)
    labels = re.findall(r"<(t[hd]|h\d|caption|figcaption)[^>]*>(.*?)</\1>", without_code, flags=re.S)
    for _, text in labels:
        assert not JSON_PATH.search(html.unescape(re.sub(r"<[^>]+>", "", text))), text
    for head in re.findall(r"<th>(.*?)</th>", page):
        assert "_" not in head, head
    assert not RAW_FLOAT.search(_visible(page)), RAW_FLOAT.search(_visible(page))
    assert not JSON_PATH.search(_visible(without_code)), JSON_PATH.search(_visible(without_code))


def test_report_reads_like_the_lab_report(lab):
    results, figures, runs = lab
    page = build_report(results, figures, runs)
    assert _headings(page) == [*SECTION_TITLES, "Appendix C · Other figures"]
    # Figures numbered in narrative order (not alphabetically), each with its one-sentence caption.
    shown = re.findall(r'<figure id="([^"]+)"><img[^>]*><figcaption><b>Figure (\w+)\.</b> (.*?)</figcaption>', page)
    expected = ["fig_noise_types", "fig_receptive_field", "fig1_training_curves", "fig_tuning_lr_momentum"]
    assert [stem for stem, _, _ in shown] == [*expected, "fig2_noise_types", "fig_something_else"]
    assert [number for _, number, _ in shown] == ["1", "2", "3", "4", "5", "A1"]
    for stem, _, caption in shown[:-1]:
        assert html.unescape(caption) == CAPTIONS[stem].caption
    assert re.search(r'alt="fig_something_else" src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', page)
    assert "fig_something_else.png" in _between(page, "Appendix C · Other figures")
    for stem, spec in CAPTIONS.items():  # each figure in its section, or a note there naming its notebook
        section = page[page.rindex("<h2", 0, page.index(f'id="{stem}"' if stem in SHOWN else f"<code>{stem}</code>")) :]
        assert section.startswith(f'<h2 id="{spec.section}">'), stem
    assert "Figure <code>fig_overfitting</code> is missing from figures/: run notebook 03" in page
    # The student report beside this lab: theirs from the one constant, ours from results/, profile and machine named.
    comparison = _between(page, "1 · The student report and this lab", "2 · Data")
    assert "this lab (quick profile, CPU, 2 cores, no GPU)" in comparison
    assert f"{STUDENT_REPORT.final_psnr_db:.2f} dB" in comparison and "60 s on a laptop GPU" in comparison
    assert "24.89 dB on the 2 <code>data/eval</code> photos with Gaussian σ=25 noise" in comparison
    assert (
        'best validation PSNR N2N 24.53 dB, N2C 24.80 dB (<a href="#fig1_training_curves">Figure 3</a>)' in comparison
    )
    assert "<td>Table 1, claim 1</td><td>ReLU is no better than LeakyReLU</td><td>confirms: ReLU 0.0360</td>" in page
    assert "4.2 s per epoch for the small U-Net on the CPU (2,560 patches; about 10 s per pass over 6,250)" in page
    # Numbers formatted: Table 1's loss in 10⁻³, learning rates in scientific notation, thousands separated.
    assert '<td class="num">12.53</td><td>LeakyReLU</td><td>off</td><td class="num">1.00 × 10⁻²</td>' in page
    assert '<td class="num">134,787</td>' in page and "0.0125297" not in page and "13.579" not in page
    # Conclusions: every verdict of the results once, the abstract summarising them.
    conclusions = _between(page, "8 · Conclusions", "9 · Limitations")
    verdict = _training().verdicts["N2N vs N2C"]
    assert verdict in conclusions and page.count(verdict) == 1
    assert "checked against our trials: confirms (ReLU 0.0360)" in conclusions
    assert "N2N 32.55 ± 1.35 dB vs N2C 32.30 ± 1.39 dB (3 images each): N2N is better by 0.25 dB" in conclusions
    abstract = _between(page, "Abstract", "1 · The student report and this lab")
    assert "Over 3 seeds the two are indistinguishable at this budget, difference -0.02 dB." in abstract
    assert "The report's claims about Table 1, decided from our search: confirms." in abstract
    assert "best classical method is CBM3D at 32.21 dB; N2N shipped (blind) is +0.29 dB from it" in page
    assert "<td>Impulse p=0.3</td><td>L0 (annealed)</td>" in page and "not shipped" in page
    assert 'class="note"' not in page[: page.index('<h2 id="data">')]  # every results file there: no note yet
    assert_readable(page)


def test_configuration_and_notebooks_are_in_the_appendix(lab):
    results, figures, runs = lab
    config = _between(
        build_report(results, figures, runs), "Appendix A · Configuration", "Appendix B · Executed notebooks"
    )
    assert "<td>batches per epoch</td>" not in config and "<th>batches per epoch</th>" in config
    assert "<td>main</td>" in config and '<td>depth (pooling steps)</td><td class="num">3</td>' in config
    assert "<td>activation</td><td>LeakyReLU</td>" in config and "<td>ASHA early stopping</td><td>yes</td>" in config
    notebooks = _between(
        build_report(results, figures, runs), "Appendix B · Executed notebooks", "Appendix C · Other figures"
    )
    assert '<td>03_training</td><td>PROFILE = quick, EPOCHS = 4</td><td class="num">61 s</td>' in notebooks
    assert "<code>fit</code> trains with <strong>noisy targets</strong> and keeps the best epoch." in notebooks
    assert "not a summary bullet" not in notebooks


def test_the_repository_results_render_readably():
    """The committed results/ and figures/ (notebooks run in the quick profile) through the same checks."""
    if not (REPO / "results" / "training.json").is_file():
        pytest.skip("results/ of the repository not there (run `make run`)")
    page = build_report(REPO / "results", REPO / "figures", REPO / "runs" / "quick")
    assert _headings(page)[: len(SECTION_TITLES)] == SECTION_TITLES
    numbers = re.findall(r"<b>Figure (\d+)\.</b>", page)
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) >= 10
    assert "25.51 dB" in page and "Notebook 0" not in _between(page, "Abstract", "1 · The student report and this lab")
    assert_readable(page)


def test_notebooks_not_run_are_said_so_visibly(tmp_path, lab):
    results, figures, _ = lab
    for name in ("tuning_table.csv", "tuning_summary.json", "training.json"):
        (results / name).unlink()
    page = build_report(results, figures, runs=tmp_path / "nothing-here")
    abstract = _between(page, "Abstract", "1 · The student report and this lab")
    assert "Notebook 03 has not been run: no training results." in abstract
    assert "Notebook 04 has not been run: no tuning table, no tuning results." in abstract
    assert (
        "Notebook 04 has not been run: no tuning table; run notebook 04 "
        "(notebooks/04_hyperparameter_tuning.ipynb, or <code>make run</code>) to write results/tuning_table.csv."
    ) in _between(page, "5 · Hyperparameter tuning", "6 · Inference across noise types")
    assert "not measured: notebook 03 has not been run" in _between(
        page, "1 · The student report and this lab", "2 · Data"
    )
    assert "<td>flips + swap</td>" in page  # the other file of notebook 03 is still shown
    assert "No executed notebooks" in page
    empty = build_report(tmp_path / "no-results", tmp_path / "no-figures")
    assert _headings(empty) == SECTION_TITLES
    assert empty.count('class="note"') >= len(ALL) + len(CAPTIONS)
    assert_readable(empty)


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
def test_a_renamed_key_or_column_fails_loudly(lab, capsys, name, old, new, message):
    """A file that exists but does not match what its notebook writes stops the report: no silently missing sentence."""
    results, figures, runs = lab
    path = results / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError, match=f"{re.escape(name)} is not what notebook 0[1-5] writes: .*{message}"):
        build_report(results, figures, runs)
    args = ["--results", str(results), "--figures", str(figures), "--runs", str(runs), "--no-pdf"]
    assert main([*args, "--out", str(runs / "lab_report.html")]) == 2
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


def test_command_writes_the_html_and_says_why_no_pdf(lab, tmp_path, monkeypatch, capsys):
    results, figures, runs = lab
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    out = tmp_path / "out" / "lab_report.html"
    args = ["--results", str(results), "--figures", str(figures), "--runs", str(runs), "--out", str(out)]
    assert main(args) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>n2n-lab report (quick profile)</title>" in page
    printed = capsys.readouterr().out
    assert "* Noise2Noise against Noise2Clean" in printed and f"wrote {out}" in printed
    assert "PDF skipped: no Chromium on PATH" in printed and not out.with_suffix(".pdf").exists()
    (results / "tuning_summary.json").unlink()
    assert main([*args, "--no-pdf"]) == 0
    printed = capsys.readouterr().out
    assert "* Notebook 04 has not been run: no tuning results." in printed and "PDF" not in printed
    assert main(["--profile", "fast", "--out", str(out)]) == 2
    assert "PROFILE='fast'" in capsys.readouterr().err


def test_a_browser_that_cannot_start_skips_the_pdf(tmp_path):
    html_file = tmp_path / "r.html"
    html_file.write_text("<p>x</p>")
    with pytest.raises(PdfSkipped, match="could not be started"):
        write_pdf(html_file, tmp_path / "r.pdf", browser=str(tmp_path / "no-such-chromium"))
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (apt-get install -y chromium)")
def test_pdf_is_printed_with_chromium(lab, tmp_path):
    results, figures, runs = lab
    out = tmp_path / "lab_report.html"
    assert main(["--results", str(results), "--figures", str(figures), "--runs", str(runs), "--out", str(out)]) == 0
    assert out.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize(
    "bad", ["<table><tr><td>files_mb.train_data.pkl</td></tr></table>", "<p>loss 0.0125368</p>", "<th>n_train</th>"]
)
def test_the_readability_check_catches_what_the_old_report_showed(bad):
    with pytest.raises(AssertionError):
        assert_readable(bad)


@pytest.mark.skipif(
    "denoising_trials" not in TuningSummary.__dataclass_fields__, reason="tuning_summary.json has no denoising count"
)
def test_trials_that_denoise_are_counted_when_measured(lab):
    results, figures, runs = lab
    summary = TuningSummary.read(results)
    summary.noisy_loss, summary.denoising_trials = 0.00866, 1
    summary.write(results)
    page = build_report(results, figures, runs)
    sentence = "1 of 2 trials denoise: their best loss is below the noisy input's 8.66 × 10⁻³"
    assert sentence in _between(page, "5 · Hyperparameter tuning", "6 · Inference across noise types")
    assert sentence in _between(page, "1 · The student report and this lab", "2 · Data")
    assert "noisy loss" not in page
    assert_readable(page)


def test_readme_reproduction_table_is_written_from_the_committed_results():
    """README's table is exactly what the command makes of results/ (and results/full/ once a full run is kept)."""
    from n2n_lib.lab.report import readme

    root = Path(__file__).resolve().parents[1]  # the checkout, not the tests' scratch root
    argv = ["--check", "--quick", str(root / "results"), "--full", str(root / "results" / "full")]
    assert readme.main([*argv, "--readme", str(root / "README.md")]) == 0, "run python -m n2n_lib.lab.report.readme"


def test_readme_table_has_one_column_per_profile_and_refuses_a_readme_without_markers(tmp_path):
    from n2n_lib.lab.report import readme

    for profile in ("quick", "full"):
        _write_results(tmp_path / profile)
    block = readme.block(tmp_path / "quick", tmp_path / "full")
    header = block.splitlines()[1]
    assert "this lab, quick profile" in header and "this lab, full profile" in header
    assert all(line.count(" | ") == header.count(" | ") for line in block.splitlines()[1:-3])  # same columns everywhere
    assert "25.51 dB" in block and "| Final PSNR |" in block
    only_quick = readme.block(tmp_path / "quick", tmp_path / "missing")
    assert "full profile" not in only_quick.splitlines()[1]
    with pytest.raises(InputError, match="markers"):
        readme.replace_block("# README without the table\n", block)
