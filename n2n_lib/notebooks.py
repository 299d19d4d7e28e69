"""Run the lab's notebooks headless, and keep the committed ones clean.

``python -m n2n_lib.notebooks run --profile quick`` executes ``notebooks/01_…`` to ``05_…`` in order with papermill
(or only the notebooks named after it), writing the executed copies to ``runs/<profile>/`` (the notebooks themselves
write ``data/``, ``checkpoints/``, ``results/`` and ``figures/``); ``make run`` calls it. A cell that raises stops the
run with exit status 1 and one line naming the error; a bad profile or notebook path exits with status 2.
``python -m n2n_lib.notebooks refresh [NOTEBOOK …]`` re-executes notebooks in place with their default (quick)
parameters and strips execution timestamps and run-specific metadata, so the committed outputs are what nbval compares
against and diffs show only real changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write
from n2n_lib.params import check_profile
from n2n_lib.paths import project_root

KERNEL = "python3"


def notebook_paths() -> list[Path]:
    """The numbered notebooks (``NN_name.ipynb``), in reading order."""
    return sorted((project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _existing(paths: list[Path] | None) -> list[Path]:
    """`paths` (default: every numbered notebook), each checked to be an existing .ipynb file."""
    paths = [Path(p) for p in paths] if paths else notebook_paths()
    for path in paths:
        if not path.is_file() or path.suffix != ".ipynb":
            problem = "is not a notebook (.ipynb)" if path.is_file() else "does not exist"
            raise InputError(f"notebook {path} {problem}; pass a file such as notebooks/01_data_preparation.ipynb.")
    return paths


def run_all(
    profile: str = "quick",
    out_dir: str | Path | None = None,
    parameters: dict | None = None,
    paths: list[Path] | None = None,
) -> list[Path]:
    """Execute notebooks with papermill (PROFILE=`profile` plus `parameters`); returns the executed copies.

    paths: the notebooks to run, in this order (default: all of ``notebooks/NN_*.ipynb`` in reading order).
    """
    import papermill

    check_profile(profile)
    paths = _existing(paths)
    out_dir = Path(out_dir) if out_dir else project_root() / "runs" / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in paths:
        start = time.perf_counter()
        print(f"[{profile}] {nb.name} …", flush=True)
        try:
            papermill.execute_notebook(
                str(nb),
                str(out_dir / nb.name),
                parameters={**(parameters or {}), "PROFILE": profile},  # PROFILE was checked above
                cwd=str(nb.parent),
                kernel_name=KERNEL,
                progress_bar=False,
            )
        except papermill.PapermillExecutionError:
            print(f"[{profile}] {nb.name} stopped; the executed copy {out_dir / nb.name} shows where", flush=True)
            raise
        print(f"[{profile}] {nb.name} done in {time.perf_counter() - start:.0f} s → {out_dir / nb.name}", flush=True)
        written.append(out_dir / nb.name)
    return written


def clean_metadata(nb) -> None:
    """Drop what changes on every run without changing the content: timings, papermill records, widget state."""
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        for key in ("execution", "papermill", "ExecuteTime"):
            cell.metadata.pop(key, None)


# The numerics fingerprint of the machine that made the committed outputs; conftest.py compares it with the machine
# running the tests, because trained numbers differ in their last digits between CPUs (bf16 or not, kernels, threads).
REFERENCE_MACHINE = "tests/nbval_reference_machine.json"


# Appended to nbval's sanitize file on a machine whose numerics differ from the reference machine's: every number
# becomes "#", then runs of spaces become one (column widths follow the numbers' widths).
MASK_NUMBERS = """
[numbers: this machine's numerics differ from those of the machine that made the committed outputs]
regex: \\d+(?:[.,]\\d+)*
replace: #

[spacing that follows the width of the masked numbers]
regex: [ \\t]+
replace: \u0020
"""


def reference_mismatch(reference_file: str | Path) -> str | None:
    """None if this machine's `numerics_fingerprint` equals the one recorded in `reference_file`, else why not."""
    from n2n_lib.hardware import numerics_fingerprint

    path = Path(reference_file)
    reference = json.loads(path.read_text()) if path.is_file() else None
    here = numerics_fingerprint()
    return None if reference == here else f"committed outputs made on {reference}, this machine is {here}"


def masked_sanitize_file(original: str | Path, out: str | Path) -> Path:
    """Write nbval's sanitize file `original` plus `MASK_NUMBERS` to `out`; returns `out`."""
    return atomic_write(Path(out), lambda tmp: tmp.write_text(Path(original).read_text() + MASK_NUMBERS))


def refresh(paths: list[Path] | None = None, timeout: int = 900) -> None:
    """Execute each notebook in place (default parameters, i.e. the quick profile) and clean its metadata.

    Also records this machine's `numerics_fingerprint` in tests/nbval_reference_machine.json: refresh the notebooks
    together (``make notebooks``), so that all their outputs come from the machine it names.
    """
    import nbformat
    from nbclient import NotebookClient

    from n2n_lib.hardware import numerics_fingerprint

    checkout = Path(__file__).resolve().parents[1]  # the repository, even under N2N_LAB_ROOT
    paths = _existing(paths)

    for path in paths:
        print(f"refreshing {path} …", flush=True)
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        clean_metadata(nb)
        atomic_write(path, lambda tmp, nb=nb: nbformat.write(nb, tmp))
        print(f"refreshed {path} in {time.perf_counter() - start:.0f} s", flush=True)
    if all(path.resolve().parent == checkout / "notebooks" for path in paths):  # the lab's own notebooks
        fingerprint = json.dumps(numerics_fingerprint(), indent=2) + "\n"
        atomic_write(checkout / REFERENCE_MACHINE, lambda tmp: tmp.write_text(fingerprint))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m n2n_lib.notebooks", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="execute all notebooks with papermill into runs/PROFILE/")
    r.add_argument("--profile", default="quick", help="quick (minutes on a CPU) or full (GPU-scale budgets)")
    r.add_argument("--out", type=Path, default=None, help="folder for the executed copies (default: runs/PROFILE)")
    r.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: all, in reading order)")
    f = sub.add_parser("refresh", help="re-execute notebooks in place (quick profile) and strip run metadata")
    f.add_argument("notebooks", nargs="*", type=Path)
    args = p.parse_args(argv)
    from nbclient.exceptions import CellExecutionError
    from papermill.exceptions import PapermillExecutionError

    try:
        if args.command == "run":
            run_all(args.profile, args.out, paths=args.notebooks or None)
        else:
            refresh(args.notebooks or None)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (PapermillExecutionError, CellExecutionError) as exc:  # a cell raised: name it, not the runner's traceback
        left = "" if args.command == "run" else "; the notebook was left as it was"
        print(f"error: a cell stopped with {exc.ename}: {exc.evalue.rstrip('.')}{left}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
