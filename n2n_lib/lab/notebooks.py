"""Run the lab's notebooks headless, and keep the committed ones clean.

``python -m n2n_lib.lab.notebooks run --profile quick`` executes ``notebooks/01_…`` to ``05_…`` in order with papermill
(or only the notebooks named after it), writing the executed copies to ``runs/<profile>/`` (the notebooks themselves
write ``data/``, ``checkpoints/``, ``results/`` and ``figures/``); ``make run`` calls it. A cell that raises stops the
run with exit status 1 and one line naming the error; a bad profile or notebook path exits with status 2.
``python -m n2n_lib.lab.notebooks refresh [NOTEBOOK …]`` re-executes notebooks in place with their default (quick)
parameters and strips execution timestamps and run-specific metadata, so the committed outputs are what nbval compares
against and diffs show only real changes.
"""

from __future__ import annotations

import argparse
import html
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


# The kernel talks to papermill over local TCP and logs a warning about it at every start; only errors are shown.
QUIET_KERNEL = ["--IPKernelApp.log_level=ERROR"]


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
                extra_arguments=QUIET_KERNEL,
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


WIDGET_VIEW, WIDGET_STATE = "application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"


def _bar_text(state: dict, model_id: str) -> str | None:
    """A tqdm bar's last state as the line tqdm prints in a terminal, or None if `model_id` is not a tqdm bar."""
    box = state.get(model_id, {})
    children = [c.removeprefix("IPY_MODEL_") for c in box.get("state", {}).get("children", [])]
    models = [state.get(c, {}) for c in children]
    names = [m.get("model_name") for m in models]
    if box.get("model_name") != "HBoxModel" or names != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    left, progress, right = (m.get("state", {}) for m in models)
    done = progress.get("value", 0) / progress["max"] if progress.get("max") else 0.0
    bar = "█" * round(10 * min(max(done, 0.0), 1.0))
    text = f"{left.get('value', '')}|{bar:<10}|{right.get('value', '')}"
    return html.unescape(text).replace("\u2007", " ")


def freeze_progress_bars(nb) -> int:
    """Replace each tqdm widget output by the text of its final state; returns how many were replaced.

    The committed notebooks keep no widget state (`clean_metadata`), and without it JupyterLab shows a widget output's
    fallback text, which tqdm wrote when the bar was still empty ("epochs: 0%"). The frozen text is the finished bar,
    as a terminal would have shown it. Call it after executing and before `clean_metadata`.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            model = output.get("data", {}).get(WIDGET_VIEW, {}).get("model_id")
            text = _bar_text(state, model) if model else None
            if text is not None:
                output["data"] = {"text/plain": text}
                replaced += 1
    return replaced


def refresh(paths: list[Path] | None = None, timeout: int = 900) -> None:
    """Execute each notebook in place (default parameters, i.e. the quick profile) and clean its metadata."""
    import nbformat
    from nbclient import NotebookClient

    paths = _existing(paths)

    for path in paths:
        print(f"refreshing {path} …", flush=True)
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(path.parent)}},
            extra_arguments=QUIET_KERNEL,
        ).execute()
        freeze_progress_bars(nb)
        clean_metadata(nb)
        atomic_write(path, lambda tmp, nb=nb: nbformat.write(nb, tmp))
        print(f"refreshed {path} in {time.perf_counter() - start:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m n2n_lib.lab.notebooks", description=__doc__.split("\n\n")[0])
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
