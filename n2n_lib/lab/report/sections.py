"""The report's method sections, from the results of notebooks 01-04: data, architecture, training, tuning.

Each function takes the `Lab` and returns HTML blocks (paragraphs, tables, notes); the figures of the section are added
by `n2n_lib.lab.report.build`. Every number is formatted by `n2n_lib.lab.report.units` from a results file.
"""

from __future__ import annotations

import re

from n2n_lib.lab.report import units
from n2n_lib.lab.report.context import Lab
from n2n_lib.lab.report.markup import key_values, note, paragraph, table
from n2n_lib.results import (
    Architecture,
    AugmentationAblation,
    DataSummary,
    Training,
    TuningSummary,
    TuningTable,
)

RUN_LABELS = {"N2N": "N2N", "N2C": "N2C", "adam": "Adam", "sgd": "SGD with momentum", "overfit": "overfitting run"}
TARGETS = {"noisy": "noisy", "clean": "clean"}


def data(lab: Lab) -> list[str]:
    summary = lab.get(DataSummary)
    if summary is None:
        return [note(text) for text in lab.missing(DataSummary)]
    shape = "×".join(str(s) for s in summary.patch_shape)
    out = [
        paragraph(
            f"Notebook 01 cuts {units.count(summary.n_train)} training and {units.count(summary.n_val)} validation "
            f"patches from source `{summary.source}`, adds {summary.noise_label or 'no synthetic noise'} twice "
            "independently, and packs the pairs as torch pickles in the report's format: the training file holds "
            "(noisy input, noisy target), the validation file (noisy, clean)."
        )
    ]
    rows = [
        ("training pairs", units.count(summary.n_train)),
        ("validation pairs", units.count(summary.n_val)),
        ("patch shape (channels × height × width)", shape),
        ("pixel type", summary.dtype),
        ("noise", summary.noise_label or "none added"),
        ("noise σ measured from the pairs (0-255 units)", f"{summary.sigma_from_pairs:.2f}"),
        ("noise σ of the validation inputs (0-255 units)", f"{summary.val_sigma:.2f}"),
        ("noisy validation PSNR", units.db(summary.val_noisy_psnr_db)),
    ]
    if summary.ab_noise_correlation is not None:
        rows.append(("correlation of the two copies' noise", f"{summary.ab_noise_correlation:.2f}"))
    if summary.ab_noise_correlation_midtones is not None:
        rows.append(("the same, mid-tone pixels only", f"{summary.ab_noise_correlation_midtones:.2f}"))
    rows += [(f"`{name}`", units.megabytes(size)) for name, size in summary.files_mb.items()]
    out.append(key_values(rows, "The prepared training data (notebook 01).", ("quantity", "value")))
    return out


def architecture(lab: Lab) -> list[str]:
    arch = lab.get(Architecture)
    if arch is None:
        return [note(text) for text in lab.missing(Architecture)]
    out = [
        paragraph(
            "The network is the report's U-Net: blocks of convolution and LeakyReLU, a max-pooling encoder and an "
            "upsampling decoder, with each encoder output pushed on a stack and popped by the decoder level that "
            "concatenates it (notebook 02 traces the stack push by push)."
        )
    ]
    rows = []
    for name, preset in arch.presets.items():
        c, field = preset.config, preset.receptive_field_px
        rows.append(
            [
                name,
                units.value(c.get("width")),
                units.value(c.get("depth")),
                units.value(c.get("head")),
                units.name(c.get("activation", "")),
                units.value(c.get("batch_norm")),
                units.count(preset.parameters),
                f"{field.min}–{field.max} px",
            ]
        )
    columns = ["preset", "width", "depth", "head channels", "activation", "batch norm", "parameters", "receptive field"]
    out.append(
        table(
            columns,
            rows,
            "The U-Net presets (notebook 02); the receptive field depends on the pixel's position on the pooling grid.",
        )
    )
    measured = [
        [key.split("@")[0], f"{key.split('@')[-1]} px", f"{width} px"]
        for key, width in arch.receptive_field_measured_px.items()
    ]
    if measured:
        out.append(
            table(
                ["preset", "output pixel position", "measured width"],
                measured,
                "Receptive fields measured from the gradient of one output pixel.",
            )
        )
    match = "matches" if arch.paper_table2_matches else "does not match"
    out.append(paragraph(f"The paper preset's layer table {match} Table 2 of Lehtinen et al. (2018)."))
    return out


def _budget_sentence(training: Training) -> str:
    main = training.budgets.get("main", {})
    batches = main.get("max_batches")
    per_epoch = f"up to {batches} batches" if batches else "all batches"
    return (
        f"Notebook 03 trains the {training.preset} U-Net on {units.name(training.device)} with "
        f"{units.name(main.get('optimizer', '?'))} "
        f"(learning rate {units.sci(main.get('lr'))}, {main.get('epochs', '?')} epochs of {per_epoch} of "
        f"{main.get('batch_size', '?')} patches) twice, changing only the targets: noisy ones (Noise2Noise, N2N) and "
        f"clean ones (Noise2Clean, N2C). The noisy validation input scores {units.db(training.noisy_val_psnr)}."
    )


def _runs_table(training: Training) -> str:
    rows = []
    for key, run in training.runs.items():
        c = run.train_config
        label = RUN_LABELS.get(key, key)
        patches = training.budgets.get(key, {}).get("patches")
        if patches:
            label += f", {patches} patches"
        rows.append(
            [
                label,
                TARGETS.get(c.get("targets"), units.value(c.get("targets"))),
                units.name(c.get("optimizer", "")),
                units.sci(c.get("lr")),
                units.value(c.get("epochs")),
                str(run.best_epoch),
                units.db(run.best_val_psnr),
                units.seconds(run.seconds),
            ]
        )
    columns = ["run", "targets", "optimizer", "learning rate", "epochs", "best epoch", "best validation PSNR", "time"]
    return table(columns, rows, "Notebook 03's training runs (seed 0); the checkpoint of the best epoch is kept.")


def _seed_table(training: Training) -> str | None:
    scores, seeds = training.seed_scores or {}, training.seeds or []
    if not scores or not seeds:
        return None
    columns = ["seed", *(f"{k}, data/eval PSNR" for k in scores)]
    rows = [[str(seed), *(units.db(v[i]) for v in scores.values())] for i, seed in enumerate(seeds)]
    return table(columns, rows, "Mean PSNR on the evaluation photos per seed: the spread behind the verdicts.")


def _eval_table(training: Training) -> str:
    ev = training.evaluation
    rows = [
        [
            name,
            units.db(scores["noisy_psnr"]),
            units.db(scores["psnr"]),
            units.db(ev.N2C.images.get(name, {}).get("psnr")),
        ]
        for name, scores in ev.N2N.images.items()
    ]
    rows.append(["mean", units.db(ev.N2N.mean_noisy_psnr), units.db(ev.N2N.mean_psnr), units.db(ev.N2C.mean_psnr)])
    caption = (
        f"Whole `{ev.folder}` photos with {units.noise(ev.noise)} noise (seed {ev.seed}), never used for training "
        "or selection."
    )
    return table(["image", "noisy input", "N2N", "N2C"], rows, caption)


def training(lab: Lab) -> list[str]:
    result = lab.get(Training)
    out = [note(text) for text in lab.missing(Training)]
    if result is not None:
        out.append(paragraph(_budget_sentence(result)))
        if result.seeds:
            out.append(
                paragraph(
                    f"Each compared setting is trained with {len(result.seeds)} matched seeds, and a difference counts "
                    "only when it exceeds the spread between them; the verdicts are collected under Conclusions."
                )
            )
        failure = re.sub(r"^\w+Error: ", "", result.report_sgd)
        out.append(paragraph(f"With the report's SGD learning rate the run fails: {failure}"))
        out.append(_runs_table(result))
        seeds = _seed_table(result)
        if seeds:
            out.append(seeds)
        out.append(_eval_table(result))
    ablation = lab.get(AugmentationAblation)
    if ablation is None:
        out += [note(text) for text in lab.missing(AugmentationAblation)]
    else:
        rows = [
            [r["augmentation"], units.db(r["best_val_psnr_db"]), str(r["best_epoch"]), units.seconds(r["seconds"])]
            for r in ablation.rows()
        ]
        out.append(
            table(
                ["augmentation", "best validation PSNR", "best epoch", "time"],
                rows,
                "The report's augmentations, ablated on a short budget.",
            )
        )
    return out


SEARCH_LABELS = {
    "num_samples": "trials",
    "epochs": "epochs per trial (at most)",
    "max_batches": "batches per epoch (at most)",
    "batch_size": "batch size",
    "preset": "U-Net preset",
    "asha": "ASHA early stopping",
    "cpus_per_trial": "CPUs per trial",
    "gpus_per_trial": "GPUs per trial",
    "max_concurrent": "trials at once (at most)",
    "seed": "seed",
    "address": "Ray address",
}
_KNOWN_SUMMARY = {"profile", "search", "ray", "seconds", "status", "conclusions", "noisy_loss", "denoising_trials"}


def denoising_sentence(summary: TuningSummary, trials: int) -> str | None:
    """ "3 of 12 trials denoise: their best loss is below the noisy input's 8.66 × 10⁻³", when the notebook measured
    it (fields added after the first version of tuning_summary.json, hence getattr)."""
    noisy, denoising = getattr(summary, "noisy_loss", None), getattr(summary, "denoising_trials", None)
    if noisy is None or denoising is None:
        return None
    return f"{denoising} of {trials} trials denoise: their best loss is below the noisy input's {units.loss(noisy)}"


def _trials_table(trials: TuningTable) -> str:
    rows = [
        [
            str(rank),
            units.loss_milli(r["loss"]) if isinstance(r["loss"], float) else "failed",
            r["activation"],
            r["BN"],
            units.sci(r["learning rate"]),
            f"{r['momentum']:.2f}",
            units.seconds(r["time (s)"]),
        ]
        for rank, r in enumerate(trials.rows(), start=1)
    ]
    columns = ["rank", "validation loss (× 10⁻³)", "activation", "batch norm", "learning rate", "momentum", "time"]
    return table(columns, rows, "Table 1 rerun: every trial of the search, best first.")


def _extra_summary(summary: TuningSummary) -> str | None:
    """Fields a later notebook version may add to the summary (e.g. trials that beat the noisy input), as words."""
    extra = [
        (units.label(name), units.value(value))
        for name, value in vars(summary).items()
        if name not in _KNOWN_SUMMARY and isinstance(value, (int, float, str, bool))
    ]
    return key_values(extra, "Further results of the search.", ("result", "value")) if extra else None


def tuning(lab: Lab) -> list[str]:
    summary, trials = lab.get(TuningSummary), lab.get(TuningTable)
    out = [note(text) for text in lab.missing(TuningSummary, TuningTable)]
    if summary is not None:
        s, status = summary.search, units.status(summary.status)
        out.append(
            paragraph(
                f"Notebook 04 reruns the report's Ray Tune + HyperOpt search over activation, batch norm, learning "
                f"rate and momentum: {s.get('num_samples', '?')} trials of up to {s.get('epochs', '?')} epochs "
                f"({status}), in {units.seconds(summary.seconds)} on a {summary.ray.get('mode', '?')} Ray cluster. "
                "Each of the report's three claims is then decided from our completed trials."
            )
        )
    if trials is not None:
        denoising = denoising_sentence(summary, len(trials.rows())) if summary is not None else None
        if denoising:
            out.append(paragraph(denoising + "."))
        out.append(_trials_table(trials))
    if summary is not None:
        rows = [[c.claim, c.ours, c.verdict] for c in summary.conclusions]
        out.append(table(["the report's claim", "our trials", "verdict"], rows, "Table 1's claims, checked."))
        extra = _extra_summary(summary)
        if extra:
            out.append(extra)
    return out
