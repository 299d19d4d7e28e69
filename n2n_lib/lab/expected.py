"""Expected results: the band every trained number of a notebook's default run falls in, on any CPU.

Training numbers differ in their last digits from one machine to another (bf16 or fp32, AMX or AVX512 or AVX2
kernels, the thread count), so notebooks never compare them digit by digit. After a cell that prints its numbers, a
check cell calls an `Expected` object once per number::

    expect = Expected(PROFILE)                       # in the parameter-check cell
    expect(n2n.best_val_psnr, around=24.5, within=0.6, what="N2N best validation PSNR")

which prints one line that is the same on every machine — ``✓ N2N best validation PSNR within 24.5 ± 0.6 dB`` — or,
when the number leaves its band, a ✗ line with the number and what to do. The bands hold for the notebook's default
parameters in the profile they were measured for (``quick``); with other parameters a ✗ can be just what you asked
for. Under ``make test`` (``N2N_LAB_STRICT_CHECKS=1``) a ✗ raises `OutOfBand`, so a regression stops the notebook.
With ``N2N_LAB_EXPECT_LOG=FILE`` every checked number is also appended to FILE as one JSON line (what, value, band):
that is how the bands were sized, from runs under several numerics configurations (README, "Tests").
"""

from __future__ import annotations

import json
import math
import os

STRICT_ENV = "N2N_LAB_STRICT_CHECKS"
LOG_ENV = "N2N_LAB_EXPECT_LOG"


class OutOfBand(AssertionError):
    """A checked number left the band its notebook expects (raised only in strict mode)."""


class Expected:
    """Checks numbers against the bands measured for one profile; see the module docstring."""

    def __init__(self, profile: str, bands_for: str = "quick", strict: bool | None = None):
        self.profile, self.bands_for = profile, bands_for
        self.strict = os.environ.get(STRICT_ENV) == "1" if strict is None else strict
        self.misses: list[str] = []

    def __call__(self, value: float, around: float, within: float, what: str, unit: str = "dB") -> None:
        """Print whether `value` lies in [around - within, around + within]; a miss is also kept in `misses`."""
        value, unit = float(value), f" {unit}" if unit else ""
        if os.environ.get(LOG_ENV):
            with open(os.environ[LOG_ENV], "a", encoding="utf-8") as log:
                print(json.dumps({"what": what, "value": value, "around": around, "within": within}), file=log)
        band = f"{around:g} ± {within:g}{unit}"
        if self.profile != self.bands_for:
            print(f"· {what}: {value:.4g}{unit} (no band: bands are for the {self.bands_for} profile)")
            return
        if math.isfinite(value) and abs(value - around) <= within:
            print(f"✓ {what} within {band}")
            return
        line = (
            f"✗ {what} is {value:.4g}{unit}, outside the expected {band} of the default "
            f"{self.bands_for} profile: expected if you changed a parameter; otherwise the training, the data or the "
            "library changed"
        )
        self.misses.append(line)
        if self.strict:
            raise OutOfBand(line)
        print(line)
