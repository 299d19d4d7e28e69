"""Where the project's folders are, wherever a notebook or command runs from.

nbval starts each notebook's kernel in ``notebooks/``, papermill and the CLI in whatever folder they were called from;
`project_root` finds the repository (the folder holding ``pyproject.toml`` and ``n2n_lib/``) from either, so notebooks
hand files to each other through the same ``data/``, ``checkpoints/``, ``results/`` and ``figures/``.

The environment variable ``N2N_LAB_ROOT`` overrides it: a folder laid out like the project (with ``data/eval`` and
``checkpoints/n2n_gaussian.pt`` at least). The test suite sets it to a scratch folder (see ``conftest.py``), so that
running the notebooks under nbval never overwrites the datasets, checkpoints, results and figures of your own runs.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_VARIABLE = "N2N_LAB_ROOT"


def project_root(start: str | Path | None = None) -> Path:
    """The folder the lab reads and writes: ``$N2N_LAB_ROOT`` if set, else the nearest folder at or above `start`
    (default: the current folder) that holds pyproject.toml and n2n_lib/.

    Falls back to the folder this package was imported from (an editable install points there).
    """
    if os.environ.get(ROOT_VARIABLE):
        return Path(os.environ[ROOT_VARIABLE]).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "n2n_lib").is_dir():
            return folder
    return Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return project_root() / "data"


def figures_dir() -> Path:
    return project_root() / "figures"


def results_dir() -> Path:
    return project_root() / "results"


def checkpoints_dir() -> Path:
    return project_root() / "checkpoints"
