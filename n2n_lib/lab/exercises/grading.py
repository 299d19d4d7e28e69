"""What every exercise check shares: run the student's function, print one ✓ / ✗ / "not done yet" line, pick the
function the notebook goes on with.

A check's `find_problem(fn)` raises `Wrong` with one sentence for the ✗ line, NotImplementedError passes through from an
unfilled stub, and returning means ✓. Random numbers are drawn inside `torch.random.fork_rng`, so a check never
changes the notebook's random state.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


class Wrong(Exception):
    """What is wrong with the student's function, as one sentence for the ✗ line."""


def grade(student: Callable, reference: Callable, find_problem: Callable[[Callable], None], right: str) -> Callable:
    """Run `find_problem` on the student's function and print ✓, ✗ or "not done yet"; return the function to use."""
    name = getattr(student, "__name__", "your function")
    with torch.random.fork_rng(devices=[]):
        try:
            find_problem(student)
        except NotImplementedError:
            try:
                find_problem(reference)
            except Wrong as wrong:
                raise AssertionError(f"the reference solution fails its check ({wrong}): a bug in n2n_lib") from None
            print(f"· {name}: not done yet — running the reference solution so the rest of the notebook works")
            return reference
        except Wrong as wrong:
            print(f"✗ {name}: {wrong} (the rest of the notebook uses the reference solution until this passes)")
            return reference
    print(f"✓ {name}: {right}")
    return student


def call(fn: Callable, *args):
    """fn(*args); an exception other than NotImplementedError becomes a ✗ naming it."""
    try:
        return fn(*args)
    except (NotImplementedError, Wrong):
        raise
    except Exception as exc:
        raise Wrong(f"it raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc


def close(a: float, b: float, rel: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)
