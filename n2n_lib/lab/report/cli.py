"""``python -m n2n_lib.lab.report``: write the HTML lab report, and its PDF when Chromium is installed.

Exit status 0 when the HTML is written (a skipped PDF is one printed line, not an error), 2 when an input is wrong: an
unknown profile, or a results file that does not match what its notebook writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from n2n_lib.errors import InputError
from n2n_lib.lab.report.build import DEFAULT_TITLE, write_report
from n2n_lib.lab.report.context import Lab, not_run, read_results
from n2n_lib.lab.report.figures import Figures
from n2n_lib.lab.report.findings import conclusion_items
from n2n_lib.lab.report.pdf import PdfSkipped, write_pdf
from n2n_lib.params import check_profile
from n2n_lib.paths import figures_dir, project_root, results_dir


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m n2n_lib.lab.report",
        description="Write runs/PROFILE/lab_report.html (and .pdf with Chromium) from results/ and figures/.",
    )
    p.add_argument("--profile", default="quick", help="which run to report on: quick or full (default quick)")
    p.add_argument("--runs", type=Path, default=None, help="folder of executed notebooks (default runs/PROFILE)")
    p.add_argument("--out", type=Path, default=None, help="HTML file to write (default runs/PROFILE/lab_report.html)")
    p.add_argument("--results", type=Path, default=None, help="results folder (default results/)")
    p.add_argument("--figures", type=Path, default=None, help="figures folder (default figures/)")
    p.add_argument("--no-pdf", action="store_true", help="write only the HTML, even when Chromium is installed")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        check_profile(args.profile)
        runs = args.runs or project_root() / "runs" / args.profile
        out = args.out or runs / "lab_report.html"
        results, figures = args.results or results_dir(), args.figures or figures_dir()
        title = f"{DEFAULT_TITLE} ({args.profile} profile)"
        write_report(out, results, figures, runs, title=title, profile=args.profile)
        loaded = read_results(results)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lab = Lab(loaded, Figures(figures), runs, args.profile)
    for sentence in conclusion_items(lab) + not_run(loaded):  # the headline, for whoever ran `make report`
        print(f"* {sentence}")
    print(f"wrote {out}")
    if not args.no_pdf:
        try:
            print(f"wrote {write_pdf(out, out.with_suffix('.pdf'))}")
        except PdfSkipped as exc:
            print(f"PDF skipped: {exc}; the HTML report is complete on its own.")
    return 0
