"""The lab report, rendered from what the executed notebooks wrote (``make report``; see notebook ``05_results``).

``python -m n2n_lib.lab.report [--profile quick] [--runs DIR] [--out FILE]`` reads ``results/`` (through the
dataclasses of `n2n_lib.results`), ``figures/`` (PNG) and the executed notebooks in ``runs/<profile>/``, and writes
``runs/<profile>/lab_report.html``, one self-contained file (figures embedded), plus ``lab_report.pdf`` printed by
headless Chromium when it is installed. It reads like the student lab report it reproduces: an abstract, the report
beside this lab, then data, architecture, training, tuning, inference across noise types, the comparison with classical
methods, conclusions (each a verdict from the results), limitations and a configuration appendix.

A results file that is missing (its notebook has not been run) becomes a visible note naming the notebook; one that
exists but does not match what its notebook writes is an error (`InputError`, exit status 2), never a silent gap.

Modules: `build` (the page, section order), `comparison` (the student report's facts, in one constant, beside ours),
`sections` and `evaluation` (the narrative sections), `findings` (abstract, conclusions, limitations), `appendix`,
`figures` (captions, numbering), `markup` (HTML), `units` (number formats), `pdf` (Chromium), `cli`.
"""

from n2n_lib.lab.report.appendix import summary_bullets
from n2n_lib.lab.report.build import SECTIONS, build_report, section_titles, write_report
from n2n_lib.lab.report.cli import main
from n2n_lib.lab.report.comparison import STUDENT_REPORT
from n2n_lib.lab.report.context import not_run, read_results
from n2n_lib.lab.report.figures import CAPTIONS

__all__ = [
    "CAPTIONS",
    "SECTIONS",
    "STUDENT_REPORT",
    "build_report",
    "main",
    "not_run",
    "read_results",
    "section_titles",
    "summary_bullets",
    "write_report",
]
