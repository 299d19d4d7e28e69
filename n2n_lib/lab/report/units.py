"""Numbers as the report prints them: units and a precision a reader can use, never a raw float.

PSNR with two decimals and "dB", losses with four significant digits (as multiples of 10⁻³, so no number needs more
than two decimals), learning rates in scientific notation, seconds as ms, s or min. No function here returns a number
with more than four decimals.
"""

from __future__ import annotations

import math
from typing import Any

from n2n_lib.errors import InputError
from n2n_lib.noise import noise_level_label

MISSING = "—"  # a value that was not measured (a failed trial, the noisy input's time)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _finite(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def db(x: float | None) -> str:
    """PSNR (or a PSNR level): "28.47 dB"."""
    return f"{x:.2f} dB" if _finite(x) else MISSING


def db_delta(x: float | None) -> str:
    """A PSNR difference: "+0.25 dB", "−1.30 dB"."""
    return f"{x:+.2f} dB".replace("-", "−") if _finite(x) else MISSING


def db_range(values: list[float]) -> str:
    """ "27.75–28.47 dB" (or one value when all are equal)."""
    low, high = min(values), max(values)
    return db(low) if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}–{high:.2f} dB"


def sci(x: float | None, digits: int = 3) -> str:
    """ "1.13 × 10⁻⁴" with `digits` significant digits; numbers between 0.1 and 1000 stay plain."""
    if not _finite(x):
        return MISSING
    if x == 0 or 0.1 <= abs(x) < 1000:
        return f"{x:.{digits}g}"
    exponent = math.floor(math.log10(abs(x)))
    mantissa = x / 10**exponent
    if round(abs(mantissa), digits - 1) >= 10:  # 9.999e-3 rounds to 10.0
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.{digits - 1}f} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def loss(x: float | None) -> str:
    """An MSE loss with four significant digits, in units of 10⁻³: "12.53 × 10⁻³"."""
    return f"{loss_milli(x)} × 10⁻³" if _finite(x) else MISSING


def loss_milli(x: float | None) -> str:
    """The number of `loss` without its unit, for a table column headed "× 10⁻³"."""
    if not _finite(x):
        return MISSING
    milli = x * 1e3
    return f"{milli:.4g}" if abs(milli) >= 0.01 else sci(x, 4)


def seconds(x: float | None) -> str:
    """A duration: "0.9 ms", "17 ms", "6.9 s", "81 s", "6.7 min"."""
    if not _finite(x):
        return MISSING
    if x == 0:
        return "0 s"
    if x < 0.01:
        return f"{x * 1e3:.1f} ms"
    if x < 1:
        return f"{x * 1e3:.0f} ms"
    if x < 10:
        return f"{x:.1f} s"
    if x < 300:
        return f"{x:.0f} s"
    return f"{x / 60:.1f} min"


def percent(fraction: float | None) -> str:
    """A fraction as "37 %"."""
    return f"{fraction * 100:.0f} %" if _finite(fraction) else MISSING


def count(n: int | None) -> str:
    """An integer with thousands separated: "134,787"."""
    return f"{n:,}" if n is not None else MISSING


def megabytes(x: float | None) -> str:
    return f"{x:.1f} MB" if _finite(x) else MISSING


def ssim(x: float | None) -> str:
    return f"{x:.3f}" if _finite(x) else MISSING


def ratio(x: float | None) -> str:
    """ "1.39×"."""
    return f"{x:.2f}×" if _finite(x) else MISSING


NAMES = {  # identifiers in results files → how the report writes them
    "leaky_relu": "LeakyReLU",
    "relu": "ReLU",
    "adam": "Adam",
    "sgd": "SGD",
    "cpu": "the CPU",
    "cuda": "a CUDA GPU",
    "mps": "Apple's GPU (MPS)",
}


def name(identifier: object) -> str:
    """ "leaky_relu" → "LeakyReLU", "adam" → "Adam", "cpu" → "the CPU"; other names unchanged."""
    return NAMES.get(str(identifier), str(identifier))


def noise(spec: str) -> str:
    """ "gaussian:25" → "Gaussian σ=25" (the notebooks' label), or the spec itself when it cannot be read."""
    try:
        return noise_level_label(spec)
    except (InputError, ValueError):
        return spec


def value(x: Any) -> str:
    """Any configuration value in readable form: yes/no, "—" for None, lists joined, floats without raw digits."""
    if x is None:
        return MISSING
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x) if abs(x) < 10000 else count(x)
    if isinstance(x, float):
        if x.is_integer() and abs(x) < 1e6:
            return str(int(x))
        return sci(x, 3)
    if isinstance(x, (list, tuple)):
        return ", ".join(value(v) for v in x)
    if isinstance(x, dict):
        return "; ".join(f"{label(k)} {value(v)}" for k, v in x.items())
    return name(x)


STATUS = {"ok": "completed", "stopped early": "stopped early by ASHA", "failed": "failed"}


def status(counts: dict[str, int]) -> str:
    """Trials per outcome: "3 completed, 9 stopped early by ASHA"."""
    return ", ".join(f"{n} {STATUS.get(what, what)}" for what, n in counts.items())


def label(key: str) -> str:
    """A configuration key as words: "max_batches" → "max batches" (used only where no better label is known)."""
    return str(key).replace("_", " ")


SOURCE_LABELS = {"embedded": "the photos bundled with the lab"}  # data sources worth a sentence, not an identifier


def source(name: str) -> str:
    """A data source as prose: "the photos bundled with the lab (`embedded`)", or "source `folder:…`"."""
    return f"{SOURCE_LABELS[name]} (`{name}`)" if name in SOURCE_LABELS else f"source `{name}`"
