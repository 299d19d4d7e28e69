"""pytest set-up for the whole repository (unit tests and notebooks alike): a scratch folder for everything written.

`make test` runs the notebooks under nbval, and notebooks write ``data/``, ``checkpoints/``, ``results/`` and
``figures/``. So that a test run never overwrites what ``make run`` or a long full-profile run left there, the session
points n2n_lib at a scratch copy of the project's layout through ``N2N_LAB_ROOT`` (see ``n2n_lib/paths.py``); the
committed inputs (notebooks, evaluation photos, the pretrained model) are linked into it, and it is removed at the end.
Set ``N2N_LAB_ROOT`` yourself to keep the scratch folder, or to run the tests against another one.

Trained numbers differ in their last digits from one CPU to another (bf16 or fp32, the kernels' instruction set, the
thread count), so nbval never compares them: cells that print them are tagged ``nbval-ignore-output``, and a check cell
after them tests each against its band (`n2n_lib.lab.expected`). The session sets ``N2N_LAB_STRICT_CHECKS=1``, so a
number outside its band raises in the notebook and fails its test.
"""

import os
import shutil
import tempfile
from pathlib import Path

from n2n_lib.lab.expected import STRICT_ENV
from n2n_lib.lab.pretrained import RECIPES

ROOT = Path(__file__).resolve().parent
# What the notebooks and commands read from the project: linked, never written through.
LINKED = (
    "pyproject.toml",
    "n2n_lib",
    "notebooks",
    "data/eval",
    *(f"checkpoints/{name}.pt" for name in RECIPES),  # the shipped models
    "checkpoints/pretrained_quality.json",
    "checkpoints/README.md",
)


def pytest_configure(config) -> None:
    temp = Path(tempfile.mkdtemp(prefix="n2n-lab-test-"))
    config.add_cleanup(lambda: shutil.rmtree(temp, ignore_errors=True))
    if not os.environ.get("N2N_LAB_ROOT"):
        scratch = temp / "root"
        for name in LINKED:
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (scratch / name).symlink_to(ROOT / name, target_is_directory=(ROOT / name).is_dir())
        os.environ["N2N_LAB_ROOT"] = str(scratch)  # inherited by the notebook kernels and every command a test starts
        config.add_cleanup(lambda: os.environ.pop("N2N_LAB_ROOT", None))
    os.environ.setdefault(STRICT_ENV, "1")  # a notebook number outside its expected band raises
