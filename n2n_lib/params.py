"""Checks for notebook parameters, so a bad papermill ``-p`` value stops a notebook in its first cell.

Every notebook's cell after the ``parameters`` cell calls these; each raises `InputError` naming the parameter, the
value it got and what it accepts. Also defines the two run profiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from n2n_lib.errors import InputError

PROFILES = ("quick", "full")  # "quick": minutes on a laptop CPU; "full": GPU-scale budgets


def check_profile(profile: object) -> str:
    """`profile` must be one of PROFILES."""
    return check_choice("PROFILE", profile, PROFILES)


def check_choice(name: str, value: object, choices: Sequence) -> object:
    """`value` must be one of `choices`."""
    if value not in choices:
        raise InputError(f"parameter {name}={value!r} is not allowed; use one of {', '.join(map(repr, choices))}.")
    return value


def check_int(name: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    """`value` must be a whole number in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"parameter {name}={value!r} must be a whole number (e.g. -p {name} {max(minimum, 1)}).")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise InputError(f"parameter {name}={value} is out of range; use a whole number at least {minimum}{upper}.")
    return value


def check_float(name: str, value: object, low: float, high: float) -> float:
    """`value` must be a finite number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"parameter {name}={value!r} must be a number between {low} and {high}.")
    if not low <= value <= high:
        raise InputError(f"parameter {name}={value} is out of range; use a number between {low} and {high}.")
    return float(value)
