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
