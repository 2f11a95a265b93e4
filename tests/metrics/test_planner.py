"""The planner against an independent computation: brute-force binomial sums written here,
with exact rational arithmetic, scipy's binomial distribution and statsmodels' intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planner_rules import rule
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint

from metrics.planner import (
    MAX_CASES,
    Rule,
    cases_needed,
    chance_by_rate,
    chance_by_size,
    chance_of_passing,
    more_needed,
    passing_counts,
    size_plan,
)

BAR = rule(0.90)  # accuracy at least 90%, judged on the 95% lower bound


def brute_pass_set(
    n: int, threshold: float, at_most: bool = False, point: bool = False, method: str = "wilson"
) -> list[int]:
    """Every k in 0..n that passes, each judged with statsmodels' interval (not the planner's)."""
    ks = np.arange(n + 1)
    low, high = proportion_confint(ks, n, alpha=0.05, method=method)
    judged = ks / n if point else (high if at_most else low)
    ok = (judged <= threshold) if at_most else (judged >= threshold)
    return ks[ok].tolist()


def brute_chance(n: int, rate: Fraction, passing: list[int]) -> Fraction:
    """Σ C(n, k) p^k (1 − p)^(n − k) over the passing k, exactly."""
    return sum((math.comb(n, k) * rate**k * (1 - rate) ** (n - k) for k in passing), Fraction(0))


# --- the issue's figures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"), [(140, 0.60), (200, 0.70), (250, 0.81), (300, 0.88), (400, 0.97)]
)
def test_chance_of_passing_matches_the_issues_independent_figures(n: int, expected: float) -> None:
    passing = brute_pass_set(n, 0.90)
    exact = float(brute_chance(n, Fraction(19, 20), passing))
    by_scipy = float(binom.pmf(passing, n, 0.95).sum())
    got = chance_of_passing(BAR, n, 0.95)
    assert got == pytest.approx(exact, abs=1e-12)
    assert got == pytest.approx(by_scipy, abs=1e-10)
    assert round(got, 2) == expected


def test_140_cases_is_a_coin_flip_and_217_is_the_smallest_80_percent_size() -> None:
    # The old planner's 140 passes a truly-95% system only 59.9% of the time.
    assert chance_of_passing(BAR, 140, 0.95) == pytest.approx(0.5987, abs=1e-4)
    chances = {
        n: float(brute_chance(n, Fraction(19, 20), brute_pass_set(n, 0.90)))
        for n in range(150, 260)
    }
    first = min(n for n, c in chances.items() if c >= 0.8)
    assert first == 217 == cases_needed(BAR, 0.95)
    # Not monotone: 218 (79.5%) dips below 80% again, and so do these runs, by brute force.
    dips = [n for n, c in chances.items() if n > first and c < 0.8]
    assert chances[218] < 0.8 < chances[217]
    plan = size_plan(BAR, 0.95)
    assert [n for a, b in plan.dips for n in range(a, b + 1)] == dips
    assert plan.dips == ((218, 228), (235, 241), (253, 253))
    assert plan.stable_from == 254
    assert plan.chance_required == pytest.approx(chances[217], abs=1e-12)
    # A system exactly at the threshold passes with 217 cases about 2.5% of the time.
    at_threshold = float(brute_chance(217, Fraction(9, 10), brute_pass_set(217, 0.90)))
    assert plan.false_pass_required == pytest.approx(at_threshold, abs=1e-12)
    assert 0.02 < at_threshold < 0.03


# --- the pass rule, for every criterion kind ---------------------------------------------------

RULES = [
    (rule(0.90), {}),
    (rule(0.10, at_most=True), {"at_most": True}),
    (rule(0.80, judged_on="point"), {"point": True}),
    (rule(0.05, at_most=True, judged_on="point"), {"at_most": True, "point": True}),
    (rule(0.75, interval="clopper_pearson"), {"method": "beta"}),
    (rule(0.20, at_most=True, interval="clopper_pearson"), {"at_most": True, "method": "beta"}),
]


@pytest.mark.parametrize(("rule", "kind"), RULES)
def test_passing_counts_are_exactly_the_brute_force_pass_set(rule: Rule, kind: dict) -> None:
    """The bisection assumes the rule is monotone in k; check the whole pass set by brute force,
    so a gap (a k that passes while a larger one fails) would show."""
    ns = np.arange(1, 301)
    bounds = passing_counts(rule, ns)
    for n, bound in zip(ns.tolist(), bounds.tolist(), strict=True):
        passing = brute_pass_set(n, rule.threshold, **kind)
        expected = list(range(0, bound + 1)) if rule.at_most else list(range(bound, n + 1))
        assert passing == expected, n


@pytest.mark.parametrize(("rule", "kind"), RULES)
@pytest.mark.parametrize("n", [1, 7, 60, 217])
@pytest.mark.parametrize(
    "rate", [Fraction(1, 20), Fraction(1, 2), Fraction(9, 10), Fraction(19, 20)]
)
def test_chance_equals_the_exact_binomial_sum(
    rule: Rule, kind: dict, n: int, rate: Fraction
) -> None:
    exact = float(brute_chance(n, rate, brute_pass_set(n, rule.threshold, **kind)))
    assert chance_of_passing(rule, n, float(rate)) == pytest.approx(exact, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3000),
    st.floats(0.01, 0.99),
    st.one_of(st.sampled_from([0.0, 1.0]), st.floats(1e-9, 1 - 1e-9)),
    st.booleans(),
    st.sampled_from(["point", "lower_bound"]),
)
def test_chance_matches_scipy_binomial_tail(
    n: int, threshold: float, rate: float, at_most: bool, judged_on: str
) -> None:
    planned = rule(threshold, at_most=at_most, judged_on=judged_on)  # type: ignore[arg-type]
    passing = brute_pass_set(n, threshold, at_most=at_most, point=judged_on == "point")
    reference = float(binom.pmf(passing, n, rate).sum()) if passing else 0.0
    assert chance_of_passing(planned, n, rate) == pytest.approx(reference, abs=1e-9)


def test_at_most_is_the_mirror_of_at_least_for_wilson() -> None:
    ns = np.arange(1, 600)
    assert np.allclose(
        chance_of_passing(rule(0.10, at_most=True), ns, 0.05),
        chance_of_passing(rule(0.90), ns, 0.95),
        atol=1e-12,
    )


def test_edges() -> None:
    assert chance_of_passing(BAR, 0, 0.99) == 0.0  # no evidence is not a pass
    assert chance_of_passing(BAR, 100, 1.0) == 1.0  # 100/100: Wilson low 0.963
    assert chance_of_passing(BAR, 10, 1.0) == 0.0  # 10/10: Wilson low 0.722 < 0.90
    assert chance_of_passing(BAR, 100, 0.0) == 0.0
    assert chance_of_passing(rule(0.0), 5, 0.0) == 1.0  # every count clears 0%
    assert chance_of_passing(rule(0.1, at_most=True), 100, 0.0) == 1.0
    assert chance_of_passing(rule(0.1, at_most=True), 100, 1.0) == 0.0
    with pytest.raises(ValueError, match="threshold"):
        rule(1.5)
    with pytest.raises(ValueError, match="power"):
        size_plan(BAR, 0.95, 1.0)
    with pytest.raises(ValueError, match="expected_rate"):
        size_plan(BAR, 95.0)


# --- plans, "about N more", and what the planner says past its bound ---------------------------


def test_more_needed_is_the_smallest_addition_that_reaches_the_target() -> None:
    assert more_needed(60, BAR, 0.95) == 157  # 60 + 157 = 217
    assert more_needed(0, BAR, 0.95) == 217
    assert more_needed(220, BAR, 0.95) == 9  # 220 is in a dip; 229 is the next size ≥ 80%
    assert more_needed(229, BAR, 0.95) == 0
    assert more_needed(300, BAR, 0.95) == 0
    plan = size_plan(BAR, 0.95, have=60)
    assert plan.enough is False
    assert plan.chance_have == pytest.approx(
        float(brute_chance(60, Fraction(19, 20), brute_pass_set(60, 0.90))), abs=1e-12
    )


def test_never_and_beyond_the_search_bound() -> None:
    never = size_plan(BAR, 0.90)  # expected = threshold: never more than ~2.5%
    assert never.reach == "never" and never.required is None and never.best_chance < 0.05
    assert size_plan(rule(0.9, judged_on="point"), 0.85).reach == "never"
    beyond = size_plan(BAR, 0.905)  # would need tens of thousands of cases
    assert beyond.reach == "beyond" and beyond.required is None
    assert 0.5 < beyond.best_chance < 0.8
    assert more_needed(60, BAR, 0.905) is None
    assert cases_needed(BAR, 0.91) is not None  # 0.91 fits inside the bound


def test_power_is_a_parameter() -> None:
    n90 = cases_needed(BAR, 0.95, power=0.9)
    assert n90 is not None and n90 > 217
    assert chance_of_passing(BAR, n90, 0.95) >= 0.9 > chance_of_passing(BAR, n90 - 1, 0.95)


def test_curves_are_the_same_figures() -> None:
    sizes, chances = chance_by_size(BAR, 0.95, 400)
    assert sizes[0] == 1 and sizes[-1] == 400
    assert chances[216] == pytest.approx(chance_of_passing(BAR, 217, 0.95))
    rates = np.linspace(0.8, 1.0, 21)
    curve = chance_by_rate(BAR, 217, rates)
    assert curve == pytest.approx([binom.sf(203, 217, r) for r in rates], abs=1e-10)
    assert np.all(np.diff(curve) >= 0)  # a better system never passes less often
    with pytest.raises(ValueError):
        chance_by_size(BAR, 0.95, MAX_CASES + 1)


def test_the_curves_cover_every_size_from_1_to_the_bound_and_refuse_the_rest() -> None:
    point = rule(0.5, judged_on="point")  # one case passes when it is right: chance = rate
    sizes, chances = chance_by_size(point, 0.3, 1)
    assert sizes.tolist() == [1] and chances.tolist() == pytest.approx([0.3])
    sizes, chances = chance_by_size(BAR, 0.95, MAX_CASES)
    assert sizes[-1] == MAX_CASES == len(chances)
    assert chances[-1] == pytest.approx(chance_of_passing(BAR, MAX_CASES, 0.95))
    for up_to in (0, MAX_CASES + 1):
        with pytest.raises(ValueError) as refused:
            chance_by_size(BAR, 0.95, up_to)
        assert str(refused.value) == f"up_to must be between 1 and 20,000, got {up_to}"
    with pytest.raises(ValueError) as refused:
        chance_by_size(BAR, 1.5, 10)
    assert str(refused.value) == "rate must be a proportion between 0 and 1, got 1.5"
    # One case, judged on the point at 50%: it passes exactly when it is right.
    assert chance_by_rate(point, 1, [0.2, 0.7]).tolist() == pytest.approx([0.2, 0.7])
    assert chance_by_rate(point, 2, [0.5]).tolist() == pytest.approx([0.75])  # 1 or 2 of 2
    none = chance_by_rate(point, 0, [0.2, 0.7, 0.9])
    assert none.shape == (3,) and not none.any()  # no cases never pass


def test_never_is_told_from_beyond_for_each_kind_of_rule() -> None:
    """ "never": the expected rate does not beat the threshold (a point judgement: does not
    reach it); otherwise a plan with no size is "beyond". A point judgement at exactly the
    threshold passes about half the time, so a 55% target is reached (at one case)."""
    at_most = rule(0.10, at_most=True)
    assert size_plan(at_most, 0.10).reach == "never"  # equal: never beats it
    assert size_plan(at_most, 0.20).reach == "never"
    assert size_plan(at_most, 0.0995).reach == "beyond"
    point_most = rule(0.10, at_most=True, judged_on="point")
    assert size_plan(point_most, 0.15).reach == "never"  # though one case passes 85% of the time
    assert chance_of_passing(point_most, 1, 0.15) == pytest.approx(0.85)
    assert size_plan(point_most, 0.10, 0.55).reach == "reached"
    assert size_plan(rule(0.9, judged_on="point"), 0.9, 0.55).reach == "reached"


def test_a_rule_refuses_what_it_cannot_judge_saying_what_is_allowed() -> None:
    judge = rule(0.9).judge
    exact = Rule(judge, 0.9, interval="clopper_pearson")  # both intervals are accepted
    assert exact.interval == "clopper_pearson"
    for kwargs, message in (
        ({"threshold": 1.5}, "threshold must be a proportion between 0 and 1, got 1.5"),
        ({"judged_on": "mean"}, "judged_on must be 'point' or 'lower_bound', not 'mean'"),
        ({"interval": "wald"}, "interval must be 'wilson' or 'clopper_pearson', not 'wald'"),
    ):
        with pytest.raises(ValueError) as refused:
            Rule(judge, **{"threshold": 0.9, **kwargs})  # type: ignore[arg-type]
        assert str(refused.value) == message


def test_proportions_of_exactly_0_and_1_are_accepted() -> None:
    # A perfect system clears 90% on Wilson's lower bound n / (n + z²) from 35 cases on.
    assert cases_needed(BAR, 1.0) == 35
    assert size_plan(rule(1.0, judged_on="point"), 1.0).required == 1  # every case right
    assert rule(0.0).threshold == 0.0


def test_no_cases_never_pass_even_a_rule_every_count_clears() -> None:
    assert chance_of_passing(rule(0.0), 0, 0.5) == 0.0  # 0 of 0 would clear 0%: no evidence
    assert chance_of_passing(rule(0.0), 1, 0.5) == 1.0


def test_a_certain_rate_passes_when_its_one_possible_count_does() -> None:
    """At a rate of 0 or 1 there is one possible count (0 or n): the chance is 1 exactly when
    that count passes, also when it is the only count that does (35 cases, from the far end of
    Wilson's bound: 35 right clear 90%, none wrong clears at most 10%)."""
    assert chance_of_passing(BAR, 35, 1.0) == 1.0  # only 35 of 35 passes
    assert chance_of_passing(rule(0.10, at_most=True), 35, 0.0) == 1.0  # only 0 of 35 passes
    assert chance_of_passing(rule(1.0, at_most=True), 5, 1.0) == 1.0  # every count passes


def test_a_rule_judges_on_the_interval_at_its_own_z() -> None:
    """A rule at 90% (z = 1.645) judges every count of 100 on statsmodels' 90% Wilson bound,
    which some counts clear that the 95% bound does not."""
    z90 = 1.6448536269514722  # scipy.stats.norm.ppf(0.95)
    bar = Rule(rule(0.80).judge, 0.80, z=z90)
    ks = np.arange(101)
    low90, _ = proportion_confint(ks, 100, alpha=0.10, method="wilson")
    low95, _ = proportion_confint(ks, 100, alpha=0.05, method="wilson")
    assert list(bar.passes(ks, np.full(101, 100))) == list(low90 >= 0.80)
    assert (low90 >= 0.80).sum() > (low95 >= 0.80).sum()  # the z makes a difference here


@dataclass(frozen=True)
class OnesAndZeros:
    """A judge that answers 1 and 0 instead of True and False."""

    threshold: float

    def __call__(self, value: Any, low: Any, high: Any) -> Any:
        return (np.asarray(low) >= self.threshold).astype(np.int64)


def test_passes_answers_booleans_whatever_the_judge_answers_with() -> None:
    ones = Rule(OnesAndZeros(0.5), 0.5)
    verdicts = ones.passes(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert verdicts.dtype == np.bool_
    assert list(verdicts) == [False, False, True]  # Wilson's lower bound: 0, 0.237, 0.722
