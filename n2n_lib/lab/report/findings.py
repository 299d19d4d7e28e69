"""The report's abstract, conclusions and limitations.

A conclusion is only ever a verdict the notebooks computed against the spread between seeds or images
(`n2n_lib.verdict`): N2N against N2C, Adam against SGD, each of Table 1's claims, the shipped twins. The abstract
summarises them in a paragraph; nothing else repeats them.
"""

from __future__ import annotations

import re

from n2n_lib.lab.report import units
from n2n_lib.lab.report.comparison import STUDENT_REPORT
from n2n_lib.lab.report.context import Lab, not_run
from n2n_lib.lab.report.evaluation import twin_verdict
from n2n_lib.lab.report.markup import bullets, note, paragraph
from n2n_lib.results import Baselines, BaselineSettings, DataSummary, PretrainedEval, Training, TuningSummary

VERDICT_INTROS = {
    "N2N vs N2C": "Noise2Noise against Noise2Clean, mean PSNR on the evaluation photos over seeds",
    "N2N vs N2C, validation": "The same comparison, on the validation patches",
    "Adam vs SGD": "Adam (the paper's optimizer) against SGD with momentum (the report's)",
}


def _outcome(verdict: str) -> str:
    """ "indistinguishable at this budget, difference +0.25 dB" from a `Comparison` sentence."""
    found = re.search(r"\): (.+?) \((?:paired|Welch)", verdict)
    return found.group(1) if found else verdict


def conclusion_items(lab: Lab) -> list[str]:
    """One sentence per verdict in the results, each naming what was compared and over what."""
    items = []
    training = lab.get(Training)
    for name, text in ((training and training.verdicts) or {}).items():
        items.append(f"{VERDICT_INTROS.get(name, name)}: {text}.")
    tuning = lab.get(TuningSummary)
    for c in tuning.conclusions if tuning else []:
        items.append(f"The report's claim “{c.claim}”, checked against our trials: {c.verdict} ({c.ours}).")
    pretrained = lab.get(PretrainedEval)
    verdict = twin_verdict(pretrained) if pretrained else None
    if verdict is not None:
        items.append(f"The shipped blind twins, noisy against clean targets, image by image: {verdict}.")
    return items


def conclusions(lab: Lab) -> list[str]:
    items = conclusion_items(lab)
    out = [bullets(items)] if items else []
    missing = lab.missing(Training, TuningSummary, PretrainedEval)
    if missing:
        out.append(note("Conclusions missing because some results are: " + " ".join(missing)))
    return out


def _training_sentence(training: Training) -> str:
    ev = training.evaluation
    text = (
        f"Trained on noisy targets only, the {training.preset} U-Net reaches {units.db(ev.N2N.mean_psnr)} on the "
        f"{len(ev.N2N.images)} evaluation photos (noisy input {units.db(ev.N2N.mean_noisy_psnr)}); trained identically "
        f"on clean targets, {units.db(ev.N2C.mean_psnr)}."
    )
    verdict = (training.verdicts or {}).get("N2N vs N2C")
    if verdict and training.seeds:
        text += f" Over {len(training.seeds)} seeds the two are {_outcome(verdict)}."
    return text


def abstract(lab: Lab) -> list[str]:
    """A paragraph: what was reproduced, on what, and the headline numbers; then what has not been run."""
    data, training, pretrained = lab.get(DataSummary), lab.get(Training), lab.get(PretrainedEval)
    sentences = [
        "This report reproduces a student lab report on Noise2Noise (Lehtinen et al., ICML 2018): a U-Net that learns "
        "to denoise from pairs of independently noisy images, never seeing a clean one. The student report trained "
        f"on {STUDENT_REPORT.data}, and reached {units.db(STUDENT_REPORT.final_psnr_db)}.",
        f"This lab reruns every step in the {lab.profile} profile on {lab.machine()}",
    ]
    sentences[-1] += f", from {units.count(data.n_train)} patches of {units.source(data.source)}." if data else "."
    if training is not None:
        sentences.append(_training_sentence(training))
    if pretrained is not None:
        sentences.append(
            f"The shipped blind model, trained longer on whole photos, reaches {units.db(pretrained.mean_psnr)} there."
        )
    baselines = lab.get(Baselines)
    if baselines is not None:
        cbm3d = [r for r in baselines.rows() if r["method"] == "CBM3D"]
        if cbm3d:
            sentences.append(f"CBM3D, told the true σ, scores {units.db(cbm3d[0]['PSNR'])} on the comparison crops.")
    tuning = lab.get(TuningSummary)
    if tuning is not None:
        verdicts = ", ".join(f"{c.verdict}" for c in tuning.conclusions)
        sentences.append(f"The report's claims about Table 1, decided from our search: {verdicts}.")
    return [f'<div class="abstract">{paragraph(" ".join(sentences))}</div>', *(note(t) for t in not_run(lab.results))]


def limitations(lab: Lab) -> list[str]:
    data, settings = lab.get(DataSummary), lab.get(BaselineSettings)
    items = []
    if data is not None and not data.source.startswith("imagenet32"):
        items.append(
            f"The student report trained on ImageNet 32×32; this run used {units.source(data.source)}, so PSNRs show "
            "the method working, not a like-for-like comparison with the report's number."
        )
    if data is not None and data.source == "embedded":
        items.append(
            "The embedded training set is cut from a handful of photos, so long budgets overfit; the "
            "checkpoint with the best validation PSNR is kept."
        )
    n_images = len(settings.images) if settings else None
    if n_images:
        items.append(
            f"The evaluation set has {n_images} images, so differences of a few hundredths of a dB are within "
            "the spread of images and seeds; verdicts are stated only where the spread allows."
        )
    if lab.profile == "quick":
        items.append(
            "The quick profile trains for minutes on a CPU and measures the baselines on centre crops; the "
            "full profile (GPU-scale budgets, whole images) reaches higher numbers."
        )
    items += [
        "The classical methods and CBM3D are told the true σ; notebook 03's networks are trained for one σ, while "
        "the shipped models are blind to it.",
        "Timings are wall-clock on the machine that ran the notebooks and vary with its load.",
    ]
    return [bullets(items)]
