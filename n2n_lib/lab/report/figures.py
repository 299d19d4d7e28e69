"""The report's figures: which section shows each one, in what order, and a one-sentence caption saying what to see.

Captions are qualitative on purpose: a measured number belongs in the text, formatted from ``results/``, not typed
here. Figures are numbered 1…N in the order the narrative shows them; a PNG in ``figures/`` that `CAPTIONS` does not
know still appears, in the appendix under its file name, and a known figure that is missing becomes a note naming the
notebook that saves it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from n2n_lib.lab.report.markup import esc, markdown_inline, note
from n2n_lib.result_files import NOTEBOOKS


@dataclass(frozen=True)
class FigureSpec:
    section: str  # key of the section that shows it (`n2n_lib.lab.report.sections`)
    notebook: str  # "01" … "05": the notebook that saves it
    caption: str  # one sentence: what to see


CAPTIONS: dict[str, FigureSpec] = {  # in narrative order
    "fig_embedded_photos": FigureSpec(
        "data",
        "01",
        "The bundled photos the 32×32 training and validation patches are cut from; validation photos are "
        "kept apart from training ones.",
    ),
    "fig_noise_types": FigureSpec(
        "data",
        "01",
        "One image under each noise model: Gaussian and Poisson noise disturb every pixel a little, "
        "Bernoulli, impulse and text noise replace some pixels entirely.",
    ),
    "fig_training_pairs": FigureSpec(
        "data",
        "01",
        "Training pairs as the network sees them: input and target are two independent noisy copies of the "
        "same patch, and the clean patch (bottom row) is never used.",
    ),
    "fig_receptive_field": FigureSpec(
        "architecture",
        "02",
        "Gradient of one output pixel with respect to the input: it is non-zero exactly inside the "
        "computed receptive field (dashed), strongest at the centre, and its width depends on the pooling grid.",
    ),
    "fig_untrained_forward": FigureSpec(
        "architecture",
        "02",
        "An untrained U-Net's output is not a denoised image but a colour cast that still shows the "
        "outline of the input: training is what makes it denoise.",
    ),
    "fig_noisy_target_mean": FigureSpec(
        "training",
        "03",
        "The mean of many noisy targets converges to the clean value, which is why an L2 loss on noisy "
        "targets learns to denoise; clipping near black biases it.",
    ),
    "fig1_training_curves": FigureSpec(
        "training",
        "03",
        "Noise2Noise and Noise2Clean trained identically (the report's Fig. 1): the N2N training loss "
        "stays above the noise variance, yet both validation PSNR curves rise together.",
    ),
    "fig_overfitting": FigureSpec(
        "training",
        "03",
        "Trained long on a few patches, the network memorises their noise and validation PSNR falls "
        "after its peak; training keeps the best epoch (dashed line).",
    ),
    "fig_optimizers": FigureSpec(
        "training",
        "03",
        "Adam (the paper) against SGD with momentum (the report) on the same budget, model and seed: "
        "Adam's validation PSNR is higher from the first epoch on.",
    ),
    "fig_n2n_eval_crop": FigureSpec(
        "training",
        "03",
        "A crop of an evaluation photo denoised by the network trained on noisy targets only, beside the "
        "noisy input and the clean original.",
    ),
    "fig_tuning_lr_momentum": FigureSpec(
        "tuning",
        "04",
        "Every trial of the search placed at its learning rate and momentum and coloured by its best loss "
        "(yellow is best); the dotted lines split the regions the third claim compares.",
    ),
    "fig_tuning_curves": FigureSpec(
        "tuning",
        "04",
        "Validation loss and PSNR of each trial per epoch: lines that end early are trials the ASHA scheduler stopped.",
    ),
    "fig2_noise_types": FigureSpec(
        "noise_types",
        "05",
        "One model per noise type, trained with its matching loss (the report's Fig. 2): noisy "
        "input, the quickly trained model, the shipped model and the clean image.",
    ),
    "fig_baselines": FigureSpec(
        "classical",
        "05",
        "PSNR and SSIM of every method on the same noisy crops: classical methods in blue, networks in "
        "orange; longer bars are better.",
    ),
    "fig_methods_comparison": FigureSpec(
        "classical",
        "05",
        "The same noisy crop denoised by each method: look at how each one fails, blotches, flattened "
        "texture or leftover grain.",
    ),
    "fig_pretrained_training": FigureSpec(
        "classical",
        "05",
        "Training curves of the shipped blind twins: the noisy-target model's training loss stays high, "
        "yet its validation PSNR follows the clean-target model's.",
    ),
}


class Figures:
    """The PNGs of one ``figures/`` folder, numbered in narrative order and embedded as base64."""

    def __init__(self, folder: Path):
        present = {p.stem: p for p in sorted(folder.glob("*.png"))} if folder.is_dir() else {}
        self.paths = present
        self.numbers = {stem: n for n, stem in enumerate((s for s in CAPTIONS if s in present), start=1)}
        self.others = [stem for stem in present if stem not in CAPTIONS]

    def ref(self, stem: str) -> str | None:
        """ "Figure 7" for a figure the report shows, None for one that is missing."""
        return f"Figure {self.numbers[stem]}" if stem in self.numbers else None

    def link(self, stem: str) -> str:
        """ "(Figure 7)" as a link, or "" when the figure is missing; safe HTML."""
        ref = self.ref(stem)
        return f' (<a href="#{esc(stem)}">{ref}</a>)' if ref else ""

    def _embed(self, stem: str, label: str, caption: str) -> str:
        data = base64.b64encode(self.paths[stem].read_bytes()).decode("ascii")
        return (
            f'<figure id="{esc(stem)}"><img alt="{esc(stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{esc(label)}.</b> {markdown_inline(caption)}</figcaption></figure>"
        )

    def section(self, key: str) -> list[str]:
        """The figures of section `key`, in order; a note for each one not in the folder."""
        out = []
        for stem, spec in CAPTIONS.items():
            if spec.section != key:
                continue
            if stem in self.numbers:
                out.append(self._embed(stem, f"Figure {self.numbers[stem]}", spec.caption))
            else:
                name = NOTEBOOKS[spec.notebook]
                out.append(
                    note(
                        f"Figure `{stem}` is missing from figures/: run notebook {spec.notebook} "
                        f"(notebooks/{name}.ipynb, or `make run`) to save it."
                    )
                )
        return out

    def appendix(self) -> list[str]:
        """Figures in the folder that no section shows, under their file names (never silently dropped)."""
        return [
            self._embed(stem, f"Figure A{n}", f"`figures/{stem}.png`, not part of the narrative.")
            for n, stem in enumerate(self.others, start=1)
        ]
