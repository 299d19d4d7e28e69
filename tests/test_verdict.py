"""n2n_lib.verdict: a verdict only where the difference exceeds the spread between seeds."""

import pytest
from scipy import stats

from n2n_lib.errors import InputError
from n2n_lib.verdict import ALPHA, compare

N2N = [28.31, 28.27, 28.35]
N2C = [28.40, 28.33, 28.44]


def test_clearly_separated_scores_give_better_and_worse():
    adam, sgd = [28.3, 28.2, 28.4], [26.0, 26.5, 25.8]
    assert compare("Adam", adam, "SGD", sgd).verdict == "better"
    flipped = compare("SGD", sgd, "Adam", adam)
    assert flipped.verdict == "worse" and flipped.difference == pytest.approx(-2.2)
    assert "SGD is worse by 2.20 dB" in str(flipped)


def test_a_difference_inside_the_spread_is_indistinguishable():
    result = compare("flips", [24.1, 25.3, 24.6], "none", [24.5, 24.0, 25.1])
    assert result.verdict == "indistinguishable"
    assert "indistinguishable at this budget, difference +0.13 dB" in str(result)


def test_mean_and_spread_are_the_sample_mean_and_standard_deviation():
    result = compare("N2N", N2N, "N2C", N2C)
    assert result.mean_a == pytest.approx(28.31) and result.spread_a == pytest.approx(0.04)
    assert result.side("b") == "N2C 28.39 ± 0.06 dB"
    assert str(result).startswith("N2N 28.31 ± 0.04 dB vs N2C 28.39 ± 0.06 dB (3 seeds each)")


def test_pairing_by_seed_finds_a_consistent_difference_the_unpaired_test_cannot():
    unpaired, paired = compare("N2N", N2N, "N2C", N2C), compare("N2N", N2N, "N2C", N2C, paired=True)
    assert unpaired.verdict == "indistinguishable" and unpaired.p_value >= ALPHA
    assert paired.verdict == "worse" and paired.p_value < ALPHA
    assert paired.p_value == pytest.approx(stats.ttest_rel(N2N, N2C).pvalue)
    assert unpaired.p_value == pytest.approx(stats.ttest_ind(N2N, N2C, equal_var=False).pvalue)
    assert "paired t-test" in str(paired) and "Welch's t-test" in str(unpaired)


def test_zero_spread_decides_on_the_means_alone():
    assert compare("a", [1.0, 1.0, 1.0], "b", [0.5, 0.5, 0.5]).verdict == "better"
    assert compare("a", [1.0, 1.0, 1.0], "b", [1.0, 1.0, 1.0]).verdict == "indistinguishable"
    assert compare("a", [1.0, 2.0, 3.0], "b", [0.9, 1.9, 2.9], paired=True).verdict == "better"


@pytest.mark.parametrize(
    ("a_scores", "b_scores", "paired", "words"),
    [
        ([28.3, 28.4], N2C, False, ["'N2N' has 2 score(s)", "at least 3"]),
        (N2N, [28.4, float("nan"), 28.3], False, ["'N2C'", "NaN or infinite"]),
        (N2N, [*N2C, 28.5], True, ["paired comparison", "one per seed"]),
    ],
)
def test_bad_input_names_the_side_and_the_fix(a_scores, b_scores, paired, words):
    with pytest.raises(InputError) as info:
        compare("N2N", a_scores, "N2C", b_scores, paired=paired)
    for word in words:
        assert word in str(info.value)


def test_scores_over_images_say_so():
    result = compare("N2N", [30.7, 34.9, 33.5, 30.1, 32.1], "N2C", [29.3, 34.9, 33.6, 30.0, 32.1], True, over="images")
    assert "(5 images each)" in str(result) and result.verdict == "indistinguishable"
