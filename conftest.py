"""pytest set-up for the whole repository (unit tests and notebooks alike): a scratch folder for everything written.

`make test` runs the notebooks under nbval, and notebooks write ``data/``, ``checkpoints/``, ``results/`` and
``figures/``. So that a test run never overwrites what ``make run`` or a long full-profile run left there, the session
points n2n_lib at a scratch copy of the project's layout through ``N2N_LAB_ROOT`` (see ``n2n_lib/paths.py``); the
committed inputs (notebooks, evaluation photos, the pretrained model) are linked into it, and it is removed at the end.
Set ``N2N_LAB_ROOT`` yourself to keep the scratch folder, or to run the tests against another one.
"""

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# What the notebooks and commands read from the project: linked, never written through.
LINKED = ("pyproject.toml", "n2n_lib", "notebooks", "data/eval", "checkpoints/n2n_gaussian.pt", "checkpoints/README.md")


def pytest_configure(config) -> None:
    if os.environ.get("N2N_LAB_ROOT"):
        return
    scratch = Path(tempfile.mkdtemp(prefix="n2n-lab-test-"))
    for name in LINKED:
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)
        (scratch / name).symlink_to(ROOT / name, target_is_directory=(ROOT / name).is_dir())
    os.environ["N2N_LAB_ROOT"] = str(scratch)  # inherited by the notebook kernels and every command a test starts

    def remove() -> None:
        os.environ.pop("N2N_LAB_ROOT", None)
        shutil.rmtree(scratch, ignore_errors=True)

    config.add_cleanup(remove)
