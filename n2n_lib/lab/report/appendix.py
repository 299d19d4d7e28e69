"""The report's appendices: the configuration behind the numbers, the executed notebooks (parameters, time, Summary
bullets), and any figure in ``figures/`` that the narrative does not show.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from n2n_lib.lab.report import units
from n2n_lib.lab.report.context import Lab
from n2n_lib.lab.report.markup import esc, heading, key_values, markdown_inline, note, table
from n2n_lib.lab.report.sections import SEARCH_LABELS
from n2n_lib.paths import project_root
from n2n_lib.results import BaselineSettings, Training, TuningSummary

BUDGET_COLUMNS = {  # TrainConfig key → column
    "epochs": "epochs",
    "max_batches": "batches per epoch",
    "batch_size": "batch size",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "momentum": "momentum",
    "seed": "seed",
}
MODEL_LABELS = {
    "name": "preset",
    "in_channels": "input channels",
    "out_channels": "output channels",
    "width": "width (channels of the first block)",
    "depth": "depth (pooling steps)",
    "head": "head channels",
    "activation": "activation",
    "batch_norm": "batch norm",
}
DATA_LABELS = {
    "source": "source",
    "noise": "noise",
    "seed": "seed",
    "n_train": "training pairs",
    "n_val": "validation pairs",
}
RAY_LABELS = {"mode": "mode", "address": "address", "nodes": "nodes", "cpus": "CPUs", "gpus": "GPUs"}


def _labelled(values: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, str]]:
    """Known keys first, with their labels; unknown keys after them, underscores as spaces."""
    known = [(labels[k], units.value(values[k])) for k in labels if k in values]
    return known + [(units.label(k), units.value(v)) for k, v in values.items() if k not in labels]


def _budget_cell(key: str, value: Any) -> str:
    if key == "lr":
        return units.sci(value)
    if key == "momentum" and isinstance(value, float):
        return f"{value:.2f}"
    if key == "max_batches" and value is None:
        return "all"
    return units.value(value)


def configuration(lab: Lab) -> list[str]:
    out = []
    training = lab.get(Training)
    if training is not None:
        rows = [
            [name, *(_budget_cell(k, b.get(k)) if k in b else units.MISSING for k in BUDGET_COLUMNS)]
            for name, b in training.budgets.items()
        ]
        out.append(table(["budget", *BUDGET_COLUMNS.values()], rows, "Training budgets of notebook 03."))
        model = _labelled(training.model_config, MODEL_LABELS)
        out.append(key_values(model, f"The U-Net trained in notebook 03 ({training.preset} preset)."))
        out.append(key_values(_labelled(training.data, DATA_LABELS), "Training data of notebook 03."))
    tuning = lab.get(TuningSummary)
    if tuning is not None:
        out.append(key_values(_labelled(tuning.search, SEARCH_LABELS), "Search settings of notebook 04."))
        out.append(key_values(_labelled(tuning.ray, RAY_LABELS), "The Ray cluster notebook 04 ran on."))
    settings = lab.get(BaselineSettings)
    if settings is not None:
        crop = f"{settings.crop}×{settings.crop} px centre crops" if settings.crop else "whole images"
        rows = [
            ("noise", units.noise(settings.noise)),
            ("seed", str(settings.seed)),
            ("images", crop),
            ("photos", ", ".join(settings.images)),
        ]
        rows += [(f"network “{label}”", f"`{path}`") for label, path in settings.networks.items()]
        out.append(key_values(rows, "How notebook 05 measured the comparison with classical methods."))
    return out or [note("No configuration to show: notebooks 03, 04 and 05 have not been run (`make run`).")]


def summary_bullets(notebook: Path) -> list[str]:
    """The bullets under a notebook's ``## Summary`` heading (continuation lines joined), as plain Markdown strings."""
    return _summary_bullets(json.loads(Path(notebook).read_text(encoding="utf-8")))


def _summary_bullets(nb: dict) -> list[str]:
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") != "markdown" or "## Summary" not in source:
            continue
        body = source.split("## Summary", 1)[1].split("\n## ", 1)[0]
        found: list[str] = []
        for line in body.splitlines():
            if re.match(r"^\s*[*-] ", line):
                found.append(line.strip()[2:])
            elif line.strip() and found:
                found[-1] += " " + line.strip()
        return found
    return []


def _shown(path: Path | None) -> str:
    """`path` relative to the project when it lies inside it (no absolute paths in the report)."""
    if path is None:
        return "runs/<profile>"
    try:
        return path.resolve().relative_to(project_root()).as_posix()
    except ValueError:
        return path.name


def executed_notebooks(runs: Path | None) -> list[str]:
    """Parameters and run time of each executed notebook in `runs`, and its Summary bullets."""
    notebooks = sorted(runs.glob("[0-9][0-9]_*.ipynb")) if runs is not None and runs.is_dir() else []
    if not notebooks:
        return [note(f"No executed notebooks in `{_shown(runs)}`: run `make run` to execute them.")]
    rows, summaries = [], []
    for path in notebooks:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            rows.append([path.stem, "(unreadable)", units.MISSING])
            continue
        meta = nb.get("metadata", {}).get("papermill", {})
        params = ", ".join(f"{k} = {units.value(v)}" for k, v in meta.get("parameters", {}).items()) or "defaults"
        rows.append([path.stem, params, units.seconds(meta.get("duration"))])
        found = _summary_bullets(nb)
        if found:
            items = "".join(f"<li>{markdown_inline(b)}</li>" for b in found)
            summaries.append(f"<h4>{esc(path.stem)}, its Summary</h4><ul>{items}</ul>")
    return [table(["notebook", "parameters", "run time"], rows, f"Executed notebooks in `{_shown(runs)}`."), *summaries]


def appendix(lab: Lab) -> list[str]:
    """Appendix A (configuration), B (executed notebooks) and, when there are any, C (other figures)."""
    out = [heading("appendix-configuration", "Appendix A · Configuration"), *configuration(lab)]
    out += [heading("appendix-notebooks", "Appendix B · Executed notebooks"), *executed_notebooks(lab.runs)]
    others = lab.figures.appendix()
    if others:
        out += [heading("appendix-figures", "Appendix C · Other figures"), *others]
    return out
