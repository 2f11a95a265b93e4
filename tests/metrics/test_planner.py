from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.intervals import wilson
from metrics.planner import lower_bound_with, plan, required_cases


def test_required_cases_hand_worked() -> None:
    # threshold 0.90, expected 0.95, z = 1.96:
    # n = 140: k = ⌊133.0⌋ = 133, p = 0.95, z²/n = 0.027440, denominator 1.027440
    #   centre numerator 0.95 + 0.013720 = 0.963720
    #   √(0.95·0.05/140 + 3.8416/(4·140²)) = √(0.00033929 + 0.00004900) = 0.019705
    #   lower = (0.963720 − 1.96·0.019705) / 1.027440 = 0.925098 / 1.027440 = 0.90039 ≥ 0.90
    # n = 139: k = ⌊132.05⌋ = 132, lower = 0.89970 < 0.90; every n below 139 is lower still.
    assert required_cases(0.90, 0.95) == 140
    assert lower_bound_with(140, 0.95) == pytest.approx(0.90039, abs=1e-5)
    assert lower_bound_with(139, 0.95) == pytest.approx(0.89970, abs=1e-5)
    # Rounding down bites: at n = 141, k = ⌊133.95⌋ = 133 and the bound drops to 0.892.
    assert lower_bound_with(141, 0.95) < 0.90


def test_never_clearable_bar() -> None:
    assert required_cases(0.95, 0.95) is None
    assert required_cases(0.95, 0.90) is None
    result = plan(0.95, 0.90, 500)
    assert result["required"] is None and not result["enough"]
    assert "never" in result["sentence"]


def test_plan_reports_what_is_missing() -> None:
    short = plan(0.90, 0.95, 100)
    assert (short["required"], short["have"], short["enough"]) == (140, 100, False)
    assert "Add 40 more" in short["sentence"]
    assert short["lower_bound"] == pytest.approx(lower_bound_with(100, 0.95))
    ok = plan(0.90, 0.95, 200)
    assert ok["enough"] and "enough" in ok["sentence"]
    assert plan(0.90, 0.95, 0)["lower_bound"] is None


def test_planner_rejects_non_proportions() -> None:
    with pytest.raises(ValueError):
        required_cases(1.2, 0.5)


@given(st.floats(0.5, 0.97), st.floats(0.005, 0.03))
def test_required_is_the_smallest_passing_n(threshold: float, margin: float) -> None:
    expected = min(threshold + margin, 0.999)
    n = required_cases(threshold, expected)
    assert n is not None
    k = math.floor(expected * n + 1e-9)
    assert wilson(k, n, 1.96)[0] >= threshold
    for smaller in range(max(1, n - 200), n):
        assert lower_bound_with(smaller, expected) < threshold


def smallest_n_by_counting(threshold: float, rate: float, z: float) -> int:
    """The definition, by walking n up from 1."""
    n = 1
    while lower_bound_with(n, rate, z) < threshold:
        n += 1
    return n


@pytest.mark.parametrize(
    ("threshold", "rate", "z"),
    [
        (0.0, 0.5, 1.96),  # any bound clears 0: one case
        (0.2, 1.0, 1.96),  # one right answer: lower bound 0.2066
        (0.1, 0.9, 1.96),
        (0.5, 0.7, 1.96),
        (0.8, 0.9, 1.96),
        (0.8, 0.9, 2.576),  # a 99% bound needs more cases
        (0.9, 0.97, 1.96),
        (0.95, 0.99, 1.96),
        (lower_bound_with(50, 0.9), 0.9, 1.96),  # a threshold exactly on a reachable bound
    ],
)
def test_required_cases_is_the_smallest_n_that_clears_the_bar(
    threshold: float, rate: float, z: float
) -> None:
    assert required_cases(threshold, rate, z) == smallest_n_by_counting(threshold, rate, z)


def test_the_99_percent_plan_uses_its_own_z() -> None:
    result = plan(0.8, 0.9, 60, z=2.576)
    assert result["required"] == 109 == smallest_n_by_counting(0.8, 0.9, 2.576)
    assert result["lower_bound"] == lower_bound_with(60, 0.9, 2.576) < lower_bound_with(60, 0.9)


@pytest.mark.parametrize(
    ("threshold", "rate", "expected"),
    [(0.0, 0.0, None), (1.0, 1.0, None), (0.0, 1.0, 1), (1.0, 0.5, None)],
)
def test_the_ends_of_the_unit_interval_are_proportions(
    threshold: float, rate: float, expected: int | None
) -> None:
    assert required_cases(threshold, rate) == expected


@pytest.mark.parametrize(("threshold", "rate"), [(1.2, 0.5), (-0.1, 0.5), (0.5, 1.5), (0.5, -1)])
def test_non_proportions_are_refused_saying_so(threshold: float, rate: float) -> None:
    with pytest.raises(ValueError) as refused:
        required_cases(threshold, rate)
    assert str(refused.value) == "threshold and expected_rate must be proportions between 0 and 1"


def test_a_rate_too_close_to_the_bar_is_refused() -> None:
    with pytest.raises(ValueError) as refused:
        required_cases(0.9, 0.9000001)
    assert str(refused.value) == (
        "expected rate 0.9000001 is too close to the threshold 0.9: "
        "more than 1,000,000,000 cases would be needed"
    )


def test_a_bound_needs_at_least_one_case() -> None:
    assert lower_bound_with(1, 0.9) == 0.0  # floor(0.9) = 0 right of 1
    for n in (0, -3):
        with pytest.raises(ValueError) as refused:
            lower_bound_with(n, 0.9)
        assert str(refused.value) == f"n must be a positive number of cases, got {n}"


@pytest.mark.parametrize(
    ("args", "required", "bound", "enough", "sentence"),
    [
        (
            (0.8, 0.9, 60),
            68,
            lower_bound_with(60, 0.9),
            False,
            "60 cases are not enough: at an expected 90.0% the lower bound would be 79.9%, "
            "below the 80.0% bar. Add 8 more for at least 68 cases.",
        ),
        (
            (0.8, 0.9, 200),
            68,
            lower_bound_with(200, 0.9),
            True,
            "200 cases are enough: at an expected 90.0% the lower bound would be 85.1%, above "
            "the 80.0% bar (at least 68 cases are needed).",
        ),
        (
            (0.9, 0.9, 60),
            None,
            lower_bound_with(60, 0.9),
            False,
            "At an expected 90.0% the lower bound can never reach 90.0%: no number of cases "
            "clears this bar; the system must do better than the bar, not just match it.",
        ),
        (
            (0.8, 0.9, 0),
            68,
            None,
            False,
            "0 cases are not enough: at an expected 90.0% the lower bound cannot be computed, "
            "below the 80.0% bar. Add 68 more for at least 68 cases.",
        ),
        (
            (0.8, 0.9, 1),
            68,
            0.0,
            False,
            "1 cases are not enough: at an expected 90.0% the lower bound would be 0.0%, below "
            "the 80.0% bar. Add 67 more for at least 68 cases.",
        ),
        (
            (0.90, 0.95, 141),  # past the required 140, rounding down drops the bound again
            140,
            lower_bound_with(141, 0.95),
            False,
            "141 cases: at an expected 95.0% the lower bound would be 89.2%, just below the "
            "90.0% bar; 140 cases would clear it.",
        ),
    ],
)
def test_each_plan_says_what_it_found(
    args: tuple[float, float, int],
    required: int | None,
    bound: float | None,
    enough: bool,
    sentence: str,
) -> None:
    threshold, rate, have = args
    assert plan(*args) == {
        "threshold": threshold,
        "expected_rate": rate,
        "required": required,
        "have": have,
        "enough": enough,
        "lower_bound": bound,
        "sentence": sentence,
    }


def test_a_bound_exactly_on_the_bar_is_enough() -> None:
    threshold = lower_bound_with(200, 0.9)
    assert plan(threshold, 0.9, 200)["enough"]
