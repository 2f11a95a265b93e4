"""The one criterion rule (`Criterion.passes` via `judge_criterion`): `>=` and `<=`, point and
bound, no figure fails; and thresholds checked in each metric's own unit."""

from __future__ import annotations

import math

import pytest

from metrics.estimate import Estimate
from pilot.define.criteria import (
    Criterion,
    describe_criterion,
    judge_criterion,
    judged_on_choices,
    threshold_input,
)

EPS = 1e-12


def at_least(judged_on: str = "point", threshold: float = 0.9) -> Criterion:
    return Criterion(metric="accuracy", threshold=threshold, judged_on=judged_on)


def at_most(judged_on: str = "point", threshold: float = 0.1) -> Criterion:
    return Criterion(metric="false_abstain_rate", threshold=threshold, judged_on=judged_on)


def test_exactly_on_an_at_least_threshold_passes_and_just_below_fails() -> None:
    c = at_least()
    assert c.passes(0.9) and c.passes(0.9 + EPS)
    assert not c.passes(0.9 - EPS)  # pins >= rather than >, and the direction


def test_exactly_on_an_at_most_threshold_passes_and_just_above_fails() -> None:
    c = at_most()
    assert c.passes(0.1) and c.passes(0.1 - EPS)
    assert not c.passes(0.1 + EPS)  # pins <= rather than <


def test_an_at_least_bound_criterion_judges_the_lower_bound_not_the_point() -> None:
    c = at_least("lower_bound")
    assert c.passes(0.99, 0.9, 0.999)  # lower bound exactly on the threshold
    assert not c.passes(0.99, 0.9 - EPS, 0.999)  # point well above, bound just below
    assert at_least("point").passes(0.99, 0.5, 0.999)  # the point criterion ignores the bound


def test_an_at_most_bound_criterion_judges_the_upper_bound() -> None:
    c = at_most("lower_bound")  # stored name; for an at-most metric it is the upper bound
    assert c.passes(0.01, 0.0, 0.1)
    assert not c.passes(0.01, 0.0, 0.1 + EPS)  # point well below, upper bound just above
    assert c.judged_value(0.01, 0.0, 0.08) == 0.08
    assert at_most("point").passes(0.1, 0.0, 0.5)


def test_no_figure_fails() -> None:
    assert not at_least().passes(None)
    assert not at_least("lower_bound").passes(0.95, None, 0.99)  # a bound too few cases give
    assert not at_most("lower_bound").passes(0.01, 0.0, None)


def test_judge_criterion_reports_in_the_verdict_vocabulary() -> None:
    r = judge_criterion(at_most("lower_bound"), Estimate("false_abstain_rate", 0.05, 0.01, 0.1, 40))
    assert (r.direction, r.judged_value, r.passed, r.n) == ("at_most", 0.1, True, 40)
    r = judge_criterion(at_least(), Estimate.missing("accuracy"))
    assert (r.direction, r.judged_value, r.passed, r.n) == ("at_least", None, False, 0)


def test_latency_thresholds_are_milliseconds_and_rates_are_proportions() -> None:
    c = Criterion(metric="latency_p95_ms", threshold=2500, judged_on="lower_bound")
    assert c.comparison == "at_most" and c.threshold == 2500.0
    assert describe_criterion(c) == (
        "Latency p95 on all cases must be at most 2,500 ms, judged on the 95% upper bound"
    )
    with pytest.raises(ValueError, match="not a proportion between 0 and 1"):
        Criterion(metric="accuracy", threshold=1.5)
    with pytest.raises(ValueError, match="write 0.9 for 90%"):
        Criterion(metric="infra_error_rate", threshold=90)
    with pytest.raises(ValueError, match="use a number ≥ 0"):
        Criterion(metric="latency_p50_ms", threshold=-1)
    with pytest.raises(ValueError, match="not a number"):
        Criterion(metric="latency_p50_ms", threshold=math.nan)
    assert (
        Criterion(metric="cost_per_case_usd", threshold=0.02, judged_on="point").threshold == 0.02
    )


def test_a_metric_without_an_interval_is_judged_on_the_point_only() -> None:
    assert judged_on_choices("cost_per_case_usd") == ("point",)
    assert judged_on_choices("latency_p95_ms") == ("lower_bound", "point")
    with pytest.raises(ValueError, match="Cost per case has no 95% interval"):
        Criterion(metric="cost_per_case_usd", threshold=0.02, judged_on="lower_bound")


def test_the_editor_asks_for_a_threshold_in_the_metric_unit() -> None:
    assert threshold_input("accuracy").max_value == 100.0
    assert threshold_input("accuracy").label == "Threshold (%)"
    assert threshold_input("accuracy").stored(threshold_input("accuracy").shown(0.95)) == 0.95
    assert threshold_input("latency_p95_ms").label == "Threshold (ms)"
    assert threshold_input("cost_per_case_usd").label == "Threshold (USD)"


def test_an_unknown_metric_is_refused_naming_every_known_one() -> None:
    from metrics.registry import registered

    known = ", ".join(registered())
    assert known.startswith("accuracy, ")
    with pytest.raises(ValueError) as refused:
        Criterion(metric="speed", threshold=0.5)
    assert f"unknown metric 'speed'; use one of: {known}" in str(refused.value)
