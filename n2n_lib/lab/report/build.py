"""The report assembled: abstract, the numbered sections in the student report's order, the appendices.

`build_report` returns the self-contained HTML (figures embedded as base64 PNG); `write_report` writes it atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from n2n_lib.io import atomic_write
from n2n_lib.lab.report import evaluation, findings, sections
from n2n_lib.lab.report.appendix import appendix
from n2n_lib.lab.report.comparison import comparison_table
from n2n_lib.lab.report.context import Lab, read_results
from n2n_lib.lab.report.figures import Figures
from n2n_lib.lab.report.markup import heading, page

Section = tuple[str, str, Callable[[Lab], list[str]]]  # anchor (also the figures' section key), title, body

SECTIONS: list[Section] = [
    ("comparison", "The student report and this lab", lambda lab: [comparison_table(lab)]),
    ("data", "Data", sections.data),
    ("architecture", "Architecture", sections.architecture),
    ("training", "Training", sections.training),
    ("tuning", "Hyperparameter tuning", sections.tuning),
    ("noise_types", "Inference across noise types", evaluation.noise_types),
    ("classical", "Comparison with classical methods", evaluation.classical),
    ("conclusions", "Conclusions", findings.conclusions),
    ("limitations", "Limitations", findings.limitations),
]
DEFAULT_TITLE = "n2n-lab report"


def section_titles() -> list[str]:
    """The headings in order, as the page shows them."""
    numbered = [f"{n} · {title}" for n, (_, title, _) in enumerate(SECTIONS, start=1)]
    return ["Abstract", *numbered]


def build_report(
    results: Path, figures: Path, runs: Path | None = None, title: str = DEFAULT_TITLE, profile: str = "quick"
) -> str:
    """The whole report as one HTML string, from `results` (read through `n2n_lib.results`), the PNGs in `figures`
    and the executed notebooks in `runs`.

    Raises InputError when a file in `results` exists but does not match what its notebook writes."""
    lab = Lab(read_results(Path(results)), Figures(Path(figures)), Path(runs) if runs else None, profile)
    body = [heading("abstract", "Abstract"), *findings.abstract(lab)]
    for number, (anchor, title_, make) in enumerate(SECTIONS, start=1):
        body.append(heading(anchor, f"{number} · {title_}"))
        body.extend(make(lab))
        body.extend(lab.figures.section(anchor))
    body.extend(appendix(lab))
    subtitle = (
        "Noise2Noise (Lehtinen et al., ICML 2018), reproducing a student lab report; every number is read from "
        "`results/` and every figure from `figures/`, as the notebooks wrote them."
    )
    return page(title, subtitle, body)


def write_report(
    out: str | Path,
    results: str | Path,
    figures: str | Path,
    runs: str | Path | None = None,
    title: str | None = None,
    profile: str = "quick",
) -> Path:
    """Build the report and write it atomically to `out`; returns `out`."""
    text = build_report(Path(results), Path(figures), Path(runs) if runs else None, title or DEFAULT_TITLE, profile)
    return atomic_write(Path(out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
