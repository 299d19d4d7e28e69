"""README's "Reproduction at a glance" table, written from results (``python -m n2n_lib.lab.report.readme``).

The table sets the student lab report beside this lab's quick profile and, once a full-profile run's results are kept
in ``results/full/``, its full profile: the same rows as the HTML report's comparison (`comparison.rows`), every number
formatted from a results file, never typed. The command rewrites the block between `BEGIN` and `END` in README.md;
``--check`` only compares and exits 1 when README's block is out of date (a test runs it on the committed files).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write
from n2n_lib.lab.report.comparison import claim_rows, rows
from n2n_lib.lab.report.context import Lab, read_results
from n2n_lib.lab.report.figures import Figures
from n2n_lib.paths import project_root

BEGIN = "<!-- reproduction table: written by `python -m n2n_lib.lab.report.readme` from results/ -->"
END = "<!-- end of the reproduction table -->"


def _lab(folder: Path, profile: str) -> Lab | None:
    """The results of one profile's run, or None when `folder` holds none of them."""
    results = read_results(folder) if folder.is_dir() else {}
    if not any(result is not None for result in results.values()):
        return None
    return Lab(results, Figures(folder / "no-figures"), None, profile)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown_table(labs: list[Lab]) -> str:
    """The comparison as a Markdown table: the report's side, then one column per profile's results."""
    head = ["", "the report", *(f"this lab, {lab.profile} profile ({lab.machine()})" for lab in labs), "where"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for row in rows():
        cells = (row.topic, row.theirs, *(row.ours(lab) for lab in labs), row.notebooks)
        lines.append("| " + " | ".join(_cell(c) for c in cells))
        lines[-1] += " |"
        if row.topic.startswith("Table 1"):
            claims = [claim_rows(lab) for lab in labs]
            for i, (topic, claim, _) in enumerate(claims[0]):
                ours = [lab_claims[i][2] if i < len(lab_claims) else "" for lab_claims in claims]
                lines.append("| " + " | ".join(_cell(c) for c in (topic, claim, *ours, "04")) + " |")
    return "\n".join(lines)


def block(quick: Path, full: Path) -> str:
    """The README block: markers, table, and a line saying where each column comes from."""
    labs = [lab for lab in (_lab(quick, "quick"), _lab(full, "full")) if lab is not None]
    if not labs:
        raise InputError(f"no results in {quick} or {full}; run `make run` first.")
    sources = "; ".join(f"{lab.profile}: `{folder.name if lab.profile == 'quick' else 'results/full'}/`"
                        for lab, folder in zip(labs, (quick, full), strict=False))  # fmt: skip
    note = f"Numbers from the runs' results ({sources}), written by the command in the comment above."
    if len(labs) == 1:
        note += " The full profile's column appears once a full run's results are kept in `results/full/`."
    return "\n".join([BEGIN, markdown_table(labs), "", note, END])


def replace_block(readme: str, new: str) -> str:
    """`readme` with the text from BEGIN to END replaced by `new`."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1:
        raise InputError(f"README.md must hold the markers {BEGIN!r} and {END!r} once each, around the table.")
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    return readme[:start] + new + readme[end:]


def main(argv: list[str] | None = None) -> int:
    root = project_root()
    p = argparse.ArgumentParser(prog="python -m n2n_lib.lab.report.readme", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", type=Path, default=root / "results", help="quick-profile results (default results/)")
    p.add_argument("--full", type=Path, default=root / "results" / "full", help="full-profile results")
    p.add_argument("--readme", type=Path, default=root / "README.md")
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if README's table is out of date")
    args = p.parse_args(argv)
    try:
        text = args.readme.read_text(encoding="utf-8")
        updated = replace_block(text, block(args.quick, args.full))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if updated != text:
            print(f"{args.readme} is out of date: run python -m n2n_lib.lab.report.readme", file=sys.stderr)
            return 1
        return 0
    atomic_write(args.readme, lambda tmp: tmp.write_text(updated, encoding="utf-8"))
    print(f"wrote the reproduction table into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
