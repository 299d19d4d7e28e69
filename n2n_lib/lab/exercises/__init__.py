"""Checks for the notebooks' coding exercises: each says what is right or wrong in the student's function.

One check per notebook, in its check cell, one module each: `check_annealed_l0` (01, the annealed L0 loss),
`check_skip_stack` (02, the U-Net's forward pass with a skip stack), `check_n2n_step` (03, one Noise2Noise training
step), `check_loss_to_psnr` (04, the tuning table's loss in dB) and `check_mean_filter` (05, a 3×3 mean filter, the
simplest classical baseline). ``fn = check_xxx(student_function)`` prints one line and returns the function the
notebook goes on with:

* ``✓ …``: the student's function does what the exercise asks; it is returned.
* ``✗ …``: what is wrong and how to fix it; the reference solution (`n2n_lib.lab.solutions`) is returned, so the rest of
  the notebook still runs.
* ``· … not done yet …``: the stub still raises NotImplementedError; the reference solution is checked instead (an
  AssertionError if it fails: a bug in the lab, not in the student's code) and returned.

Each check builds its own small models and inputs and draws its random numbers inside `torch.random.fork_rng`, so it
never changes the notebook's random state or objects (the trained numbers after it stay as they were), and its line is
the same on every machine: measured numbers appear only in ✗ lines. `grading` holds what the checks share.
"""

from n2n_lib.lab.exercises.annealed_l0 import check_annealed_l0
from n2n_lib.lab.exercises.loss_to_psnr import check_loss_to_psnr
from n2n_lib.lab.exercises.mean_filter import check_mean_filter
from n2n_lib.lab.exercises.n2n_step import check_n2n_step
from n2n_lib.lab.exercises.skip_stack import check_skip_stack

__all__ = ["check_annealed_l0", "check_skip_stack", "check_n2n_step", "check_loss_to_psnr", "check_mean_filter"]
