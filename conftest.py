"""pytest set-up for the whole repository (unit tests and notebooks alike): a scratch folder for everything written.

`make test` runs the notebooks under nbval, and notebooks write ``data/``, ``checkpoints/``, ``results/`` and
``figures/``. So that a test run never overwrites what ``make run`` or a long full-profile run left there, the session
points n2n_lib at a scratch copy of the project's layout through ``N2N_LAB_ROOT`` (see ``n2n_lib/paths.py``); the
committed inputs (notebooks, evaluation photos, the pretrained model) are linked into it, and it is removed at the end.
Set ``N2N_LAB_ROOT`` yourself to keep the scratch folder, or to run the tests against another one.

Trained numbers differ in their last digits from one CPU to another (bf16 or fp32, the kernels' instruction set, the
thread count). nbval compares the committed notebooks' rounded numbers exactly on a machine like the one that made
them (``tests/nbval_reference_machine.json``, written by ``make notebooks``); on any other machine the numbers in those
cells are masked and only the words around them are compared, and the test header says so.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
REFERENCE_MACHINE = ROOT / "tests" / "nbval_reference_machine.json"
MASKED = pytest.StashKey[str]()
# What the notebooks and commands read from the project: linked, never written through.
LINKED = ("pyproject.toml", "n2n_lib", "notebooks", "data/eval", "checkpoints/n2n_gaussian.pt", "checkpoints/README.md")


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

    from n2n_lib.notebooks import masked_sanitize_file, reference_mismatch

    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    mismatch = reference_mismatch(REFERENCE_MACHINE)
    if sanitize and mismatch:
        original = Path(sanitize) if Path(sanitize).is_absolute() else config.rootpath / sanitize
        config.option.nbval_sanitize_with = str(masked_sanitize_file(original, temp / "nbval_sanitize_masked.cfg"))
        config.stash[MASKED] = mismatch


def pytest_report_header(config) -> str | None:
    if MASKED in config.stash:
        return f"nbval: numbers in checked notebook cells are masked ({config.stash[MASKED]})"
    return None
