"""Notebook parameter checks: bad papermill values are refused with the parameter's name."""

import pytest

from n2n_lib.errors import InputError
from n2n_lib.params import check_choice, check_float, check_int, check_profile


def test_good_values_pass_through():
    assert check_profile("quick") == "quick"
    assert check_int("EPOCHS", 3, minimum=1) == 3
    assert check_float("LR", 1e-3, 0, 1) == 1e-3
    assert check_choice("OPTIMIZER", "sgd", ["sgd", "adam"]) == "sgd"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_profile("fast"), "PROFILE='fast'.*'quick', 'full'"),
        (lambda: check_int("EPOCHS", -2, minimum=1), "EPOCHS=-2 is out of range"),
        (lambda: check_int("EPOCHS", 2.5, minimum=1), "EPOCHS=2.5 must be a whole number"),
        (lambda: check_int("EPOCHS", True, minimum=1), "EPOCHS=True must be a whole number"),
        (lambda: check_float("SIGMA", float("nan"), 0, 100), "SIGMA=nan must be a number"),
        (lambda: check_float("SIGMA", 300, 0, 100), "SIGMA=300 is out of range"),
    ],
)
def test_bad_values_name_the_parameter(call, message):
    with pytest.raises(InputError, match=message):
        call()
