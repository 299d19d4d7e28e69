"""The student lab report beside this lab: the report's facts (one constant) and ours (from ``results/``).

`STUDENT_REPORT` is the only place the report's own numbers and choices are written; every cell of the "this lab"
column is formatted from a results file, or says which notebook has not been run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from n2n_lib.lab.report import units
from n2n_lib.lab.report.context import Lab
from n2n_lib.lab.report.markup import Cell, markdown_inline, table
from n2n_lib.lab.report.sections import denoising_sentence
from n2n_lib.results import (
    Architecture,
    AugmentationAblation,
    DataSummary,
    NoiseTypes,
    PretrainedEval,
    Training,
    TuningSummary,
    TuningTable,
)


@dataclass(frozen=True)
class StudentReport:
    """What the student lab report did and measured (its text, its Table 1 and Figs. 1-2)."""

    architecture: str
    data: str
    augmentation: str
    search: str
    fig1: str
    fig2: str
    final_psnr_db: float
    seconds_per_epoch: float
    machine: str


STUDENT_REPORT = StudentReport(
    architecture="U-Net of ConvLeakyReLU blocks: max-pooling encoder, upsampling decoder, skip connections kept on a "
    "stack",
    data="6250 ImageNet 32×32 images with Gaussian noise, packed as torch pickles",
    augmentation="random flips and source/target swap",
    search="Ray Tune + HyperOpt search over activation, batch norm, learning rate and momentum",
    fig1="training loss curve",
    fig2="inference under several noise types",
    final_psnr_db=25.51,
    seconds_per_epoch=60.0,
    machine="a laptop GPU",
)


def _not_run(cls: type) -> str:
    return f"not measured: notebook {cls.NOTEBOOK} has not been run"


def _architecture(lab: Lab) -> str:
    arch, training = lab.get(Architecture), lab.get(Training)
    if arch is None:
        return _not_run(Architecture)
    name = training.preset if training is not None and training.preset in arch.presets else next(iter(arch.presets))
    preset = arch.presets[name]
    config = preset.config
    text = (
        f"the same design; trained here: the {name} preset, {units.count(preset.parameters)} parameters, depth "
        f"{config.get('depth')}, width {config.get('width')}, receptive field {preset.receptive_field_px.min}–"
        f"{preset.receptive_field_px.max} px"
    )
    if "paper" in arch.presets and arch.paper_table2_matches:
        text += f"; a paper preset ({units.count(arch.presets['paper'].parameters)} parameters) matches the layer "
        text += "table of Lehtinen et al. (2018)"
    return text


def _data(lab: Lab) -> str:
    data = lab.get(DataSummary)
    if data is None:
        return _not_run(DataSummary)
    shape = "×".join(str(s) for s in data.patch_shape[-2:])
    size = units.megabytes(sum(data.files_mb.values()))
    noise = data.noise_label or "no synthetic noise (real noisy pairs)"
    return (
        f"{units.count(data.n_train)} training and {units.count(data.n_val)} validation patches of {shape} px from "
        f"{units.source(data.source)}, {noise}, in the same torch pickle format ({size} in all)"
    )


def _augmentation(lab: Lab) -> str:
    ablation = lab.get(AugmentationAblation)
    if ablation is None:
        return _not_run(AugmentationAblation)
    rows = ablation.rows()
    best = max(rows, key=lambda r: r["best_val_psnr_db"])
    scores = [r["best_val_psnr_db"] for r in rows]
    return (
        f"the same, plus colour jitter, ablated over {len(rows)} settings: best validation PSNR "
        f"{units.db(best['best_val_psnr_db'])} with {best['augmentation']}; all settings within "
        f"{units.db_range(scores)}"
    )


def _search(lab: Lab) -> str:
    summary, trials = lab.get(TuningSummary), lab.get(TuningTable)
    if summary is None or trials is None:
        return _not_run(TuningSummary)
    status = units.status(summary.status)
    text = f"the same search and columns: {len(trials.rows())} trials ({status}) in {units.seconds(summary.seconds)}"
    done = [r for r in trials.rows() if isinstance(r["loss"], float)]
    if done:
        best = min(done, key=lambda r: r["loss"])
        text += f"; best validation loss {units.loss(best['loss'])} ({best['activation']}, batch norm {best['BN']})"
    denoising = denoising_sentence(summary, len(trials.rows()))
    return f"{text}; {denoising}" if denoising else text


def _fig1(lab: Lab) -> str:
    training = lab.get(Training)
    if training is None:
        return _not_run(Training)
    runs = training.runs
    best = ", ".join(f"{k} {units.db(runs[k].best_val_psnr)}" for k in ("N2N", "N2C") if k in runs)
    return f"loss and validation PSNR of Noise2Noise and Noise2Clean trained identically; best validation PSNR {best}"


def _fig2(lab: Lab) -> str:
    kinds = lab.get(NoiseTypes)
    if kinds is None:
        return _not_run(NoiseTypes)
    labels = ", ".join(r.label for r in kinds.kinds.values())
    return f"{len(kinds.kinds)} noise types ({labels}), each model trained with its matching loss"


def _final_psnr(lab: Lab) -> str:
    training, shipped = lab.get(Training), lab.get(PretrainedEval)
    if training is None:
        return _not_run(Training)
    ev = training.evaluation
    epochs = training.runs["N2N"].train_config.get("epochs") if "N2N" in training.runs else None
    text = (
        f"{units.db(ev.N2N.mean_psnr)} on the {len(ev.N2N.images)} `{ev.folder}` photos with "
        f"{units.noise(ev.noise)} noise "
        f"(noisy input {units.db(ev.N2N.mean_noisy_psnr)})" + (f" after {epochs} epochs" if epochs else "")
    )
    scores = (training.seed_scores or {}).get("N2N")
    if scores:
        text += f"; {units.db_range(scores)} over {len(scores)} seeds"
    if shipped is not None:
        text += f"; the shipped blind model: {units.db(shipped.mean_psnr)}"
    return text


def _per_epoch(lab: Lab) -> str:
    training = lab.get(Training)
    if training is None or "N2N" not in training.runs:
        return _not_run(Training)
    run = training.runs["N2N"]
    per_epoch = run.history.get("seconds") or []
    if not per_epoch:
        return "not recorded in results/training.json"
    mean = statistics.fmean(per_epoch)
    config, n_train = run.train_config, training.data.get("n_train")
    batches, batch_size = config.get("max_batches"), config.get("batch_size")
    seen = batches * batch_size if batches and batch_size else n_train
    text = f"{units.seconds(mean)} per epoch for the {training.preset} U-Net on {units.name(training.device)}"
    if seen and n_train and seen != n_train:
        text += f" ({units.count(seen)} patches; about {units.seconds(mean * n_train / seen)} per pass over "
        text += f"{units.count(n_train)})"
    return text


@dataclass(frozen=True)
class Row:
    """One topic of the comparison: the report's side, ours as a function of a run's results, and where it is done."""

    topic: str
    theirs: str
    ours: Callable[[Lab], str]  # Markdown-inline text
    notebooks: str  # where the lab does it, e.g. "03, 05"
    figure: str | None = None  # the figure the HTML report links from this row


def rows(report: StudentReport = STUDENT_REPORT) -> list[Row]:
    """The comparison's topics in order; the three claims of Table 1 follow its search row (`claim_rows`)."""
    return [
        Row("Architecture", report.architecture, _architecture, "02"),
        Row("Data", report.data, _data, "01"),
        Row("Augmentation", report.augmentation, _augmentation, "03"),
        Row("Table 1, the search", report.search, _search, "04"),
        Row("Fig. 1", report.fig1, _fig1, "03", "fig1_training_curves"),
        Row("Fig. 2", report.fig2, _fig2, "05", "fig2_noise_types"),
        Row("Final PSNR", units.db(report.final_psnr_db), _final_psnr, "03, 05"),
        Row("Seconds per epoch", f"{units.seconds(report.seconds_per_epoch)} on {report.machine}", _per_epoch, "03"),
    ]


def claim_rows(lab: Lab) -> list[tuple[str, str, str]]:
    """(topic, the report's claim, our verdict and numbers) for each claim of Table 1."""
    summary = lab.get(TuningSummary)
    if summary is None:
        return [("Table 1, its three claims", "three claims about the search's results", _not_run(TuningSummary))]
    return [(f"Table 1, claim {i}", c.claim, f"{c.verdict}: {c.ours}") for i, c in enumerate(summary.conclusions, 1)]


def comparison_table(lab: Lab, report: StudentReport = STUDENT_REPORT) -> str:
    """The "student report vs this lab" table; the header names the profile and the machine."""
    cells: list[list[Cell]] = []
    for row in rows(report):
        ours = row.ours(lab)
        if row.figure is not None and not ours.startswith("not measured"):
            cells.append([row.topic, row.theirs, (markdown_inline(ours) + lab.figures.link(row.figure), "html")])
        else:
            cells.append([row.topic, row.theirs, ours])
        if row.topic.startswith("Table 1"):
            cells += [list(claim) for claim in claim_rows(lab)]
    ours_head = f"this lab ({lab.profile} profile, {lab.machine()})"
    caption = f"The student lab report and this lab, side by side; ours from `results/`, {lab.profile} profile."
    return table(["", "the student report", ours_head], cells, caption)
