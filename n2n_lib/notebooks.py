"""Run the lab's notebooks headless, and keep the committed ones clean.

``python -m n2n_lib.notebooks run --profile quick`` executes ``notebooks/01_…`` to ``05_…`` in order with papermill,
writing the executed copies to ``runs/<profile>/`` (the notebooks themselves write ``data/``, ``checkpoints/``,
``results/`` and ``figures/``); ``make run`` calls it. ``python -m n2n_lib.notebooks refresh [NOTEBOOK …]`` re-executes
notebooks in place with their default (quick) parameters and strips execution timestamps and run-specific metadata, so
the committed outputs are what nbval compares against and diffs show only real changes.
"""

from __future__ import annotations

import argparse
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


def run_all(profile: str = "quick", out_dir: str | Path | None = None, parameters: dict | None = None) -> list[Path]:
    """Execute every notebook with papermill (PROFILE=`profile` plus `parameters`); returns the executed copies."""
    import papermill

    check_profile(profile)
    out_dir = Path(out_dir) if out_dir else project_root() / "runs" / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in notebook_paths():
        start = time.perf_counter()
        print(f"[{profile}] {nb.name} …", flush=True)
        papermill.execute_notebook(
            str(nb),
            str(out_dir / nb.name),
            parameters={"PROFILE": profile, **(parameters or {})},
            cwd=str(nb.parent),
            kernel_name=KERNEL,
            progress_bar=False,
        )
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


def refresh(paths: list[Path] | None = None, timeout: int = 900) -> None:
    """Execute each notebook in place (default parameters, i.e. the quick profile) and clean its metadata."""
    import nbformat
    from nbclient import NotebookClient

    for path in paths or notebook_paths():
        path = Path(path)
        if not path.is_file():
            raise InputError(
                f"notebook {path} does not exist; pass a file such as notebooks/01_data_preparation.ipynb."
            )
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        clean_metadata(nb)
        atomic_write(path, lambda tmp, nb=nb: nbformat.write(nb, tmp))
        print(f"refreshed {path} in {time.perf_counter() - start:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m n2n_lib.notebooks", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="execute all notebooks with papermill into runs/PROFILE/")
    r.add_argument("--profile", default="quick", help="quick (minutes on a CPU) or full (GPU-scale budgets)")
    r.add_argument("--out", type=Path, default=None, help="folder for the executed copies (default: runs/PROFILE)")
    f = sub.add_parser("refresh", help="re-execute notebooks in place (quick profile) and strip run metadata")
    f.add_argument("notebooks", nargs="*", type=Path)
    args = p.parse_args(argv)
    try:
        if args.command == "run":
            run_all(args.profile, args.out)
        else:
            refresh(args.notebooks or None)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
