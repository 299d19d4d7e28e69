"""What every section of the report reads: the results files (through `n2n_lib.results`), the figures and the run.

A results file that is missing is None here, and `Lab.missing` words the note that replaces what it would have shown;
one that exists but does not match its dataclass raises InputError when it is read (`read_results`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from n2n_lib.lab.report import units
from n2n_lib.lab.report.figures import Figures
from n2n_lib.results import ALL, Training, TuningSummary

T = TypeVar("T")


def read_results(folder: Path) -> dict[type, Any]:
    """Every file of `n2n_lib.results.ALL` in `folder`, read through its dataclass; None for a file that does not exist
    (its notebook has not been run). A file that exists but does not match raises InputError."""
    return {cls: cls.read_if_present(folder) for cls in ALL}


def missing_note(cls: type) -> str:
    """ "Notebook 04 has not been run: no tuning table; run notebook 04 (…) to write results/tuning_table.csv." """
    return f"Notebook {cls.NOTEBOOK} has not been run: no {cls.WHAT}; {cls.fix()} to write results/{cls.FILE}."


def not_run(results: dict[type, Any]) -> list[str]:
    """One sentence per notebook whose results files are missing, e.g. "Notebook 04 has not been run: no tuning
    table, no tuning results."."""
    missing: dict[str, list[str]] = {}
    for cls, result in results.items():
        if result is None:
            missing.setdefault(cls.NOTEBOOK, []).append(f"no {cls.WHAT}")
    return [f"Notebook {nb} has not been run: {', '.join(what)}." for nb, what in sorted(missing.items())]


@dataclass
class Lab:
    """The inputs of one report: results by dataclass, the figures folder, executed notebooks and the profile."""

    results: dict[type, Any]
    figures: Figures
    runs: Path | None
    profile: str

    def get(self, cls: type[T]) -> T | None:
        return self.results.get(cls)

    def missing(self, *classes: type) -> list[str]:
        """Notes for those of `classes` whose file is missing."""
        return [missing_note(cls) for cls in classes if self.results.get(cls) is None]

    def machine(self) -> str:
        """Where the notebooks ran, from the results: "CPU, 2 cores, no GPU" (device of notebook 03, resources Ray
        counted in notebook 04), or "machine not recorded" when neither file is there."""
        parts = []
        training = self.get(Training)
        if training is not None:
            parts.append(training.device.upper() if training.device in ("cpu", "cuda", "mps") else training.device)
        tuning = self.get(TuningSummary)
        if tuning is not None:
            cpus, gpus = tuning.ray.get("cpus"), tuning.ray.get("gpus")
            if isinstance(cpus, (int, float)):
                parts.append(f"{units.value(float(cpus))} cores")
            if isinstance(gpus, (int, float)):
                parts.append(f"{units.value(float(gpus))} GPU{'s' if gpus > 1 else ''}" if gpus else "no GPU")
        return ", ".join(parts) or "machine not recorded"
