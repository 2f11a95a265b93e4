"""The plan in words: every figure in a sentence is the plan's own, worked out by hand here."""

from __future__ import annotations

import numpy as np
import pytest
from planner_rules import rule

from metrics.planner import size_plan
from metrics.planner_text import (
    chance_text,
    count_text,
    have_sentence,
    more_sentence,
    need_sentence,
    plan_sentences,
    point_warning,
    rate_text,
    size_list,
    steps_sentence,
)

BAR = rule(0.90)


def test_the_lead_reads_217_not_140_and_the_dips() -> None:
    need, steps, have = plan_sentences(size_plan(BAR, 0.95, have=60))
    assert need.startswith("Needs 217 cases for the chance of passing to reach 80%")
    assert "true rate is 95% then passes 80.0% of the time" in need
    assert "exactly at the 90% threshold passes 2.6%" in need
    assert "at 218–228, 235–241 and 253 cases the chance dips below 80% again" in steps
    assert "from 254 on" in steps
    # 60 cases: a 95% system passes 19.2% of the time; 217 − 60 = 157 more.
    assert have == (
        "The golden set has 60 cases: a system whose true rate is 95% passes 19.2% of the time; "
        "add about 157 more."
    )


def test_a_size_in_a_dip_is_called_one() -> None:
    have = plan_sentences(size_plan(BAR, 0.95, have=220))[2]
    assert "78.6% of the time, just under 80% (a dip); add 9 more." in have


def test_no_size_and_beyond_the_bound() -> None:
    never = plan_sentences(size_plan(BAR, 0.90))[0]
    assert never.startswith("No number of cases will do")
    beyond = plan_sentences(size_plan(BAR, 0.905))[0]
    assert beyond.startswith("More than 20,000 cases")


def test_point_judgement_carries_a_warning() -> None:
    lines = plan_sentences(size_plan(rule(0.9, judged_on="point"), 0.95, have=60))
    assert lines[-1].startswith(
        "Judged on the point estimate, a system exactly at 90% passes 60.6%"
    )


def test_at_most_rates_read_as_rates() -> None:
    need = plan_sentences(size_plan(rule(0.10, at_most=True), 0.05), unit="answerable cases")[0]
    assert need.startswith("Needs 217 answerable cases")
    assert "true rate is 5%" in need and "exactly at the 10% threshold" in need


def test_gate_sentence_for_graded_outputs() -> None:
    assert more_sentence(60, BAR, 0.95) == (
        "About 157 more graded outputs: with 60, a system whose true rate is 95% would pass "
        "19.2% of the time; with 217 it passes 80.0%."
    )
    assert more_sentence(300, BAR, 0.95).startswith("Enough graded outputs: with 300")
    assert more_sentence(10, BAR, 0.90, unit="live outputs").startswith(
        "No number of live outputs will do"
    )


def test_formatting() -> None:
    assert (rate_text(0.905), rate_text(0.9)) == ("90.5%", "90%")
    assert (chance_text(0.00001), chance_text(0.99999), chance_text(0.5)) == (
        "under 0.1%",
        "over 99.9%",
        "50.0%",
    )
    runs = ((1, 2), (4, 4), (6, 7), (9, 9), (11, 12), (14, 14))
    assert size_list(runs) == "1–2, 4, 6–7, 9 and 2 more stretches up to 14"


def test_a_gate_past_the_search_bound_is_worded_from_the_size_on_hand() -> None:
    """Sizes past 20,000 are judged directly: a "beyond" plan that 40,000 outputs satisfy says
    enough, and a plan that reached its power early but never holds it again says no size up
    to 20,000 does (not "Needs N"). Both chances are scipy's binomial tail over the counts that
    pass, judged here with statsmodels' Wilson bound or the point estimate."""
    from scipy.stats import binom
    from statsmodels.stats.proportion import proportion_confint

    ks = np.arange(36_000, 36_401)
    low, _ = proportion_confint(ks, 40_000, alpha=0.05, method="wilson")
    k_min = int(ks[low >= 0.90][0])
    enough = binom.sf(k_min - 1, 40_000, 0.905)  # about 92.0%
    assert more_sentence(40_000, BAR, 0.905) == (
        "Enough graded outputs: with 40,000, a system whose true rate is 90.5% passes "
        f"{chance_text(enough)} of the time (target 80%)."
    )
    # A system exactly at a point threshold passes about half the time at any size: over 55%
    # only while n is small, then never again; at 25,000 it passes P(K ≥ 22,500), about 50.5%.
    point = rule(0.9, judged_on="point")
    plan = size_plan(point, 0.9, 0.55, 25_000)
    assert (plan.reach, plan.required, plan.stable_from, plan.more) == ("reached", 1, None, None)
    assert plan.chance_have == pytest.approx(binom.sf(22_499, 25_000, 0.9), abs=1e-9)
    assert more_sentence(25_000, point, 0.9, power=0.55) == (
        "No number of graded outputs up to 20,000 reaches 55%."
    )


def test_why_no_size_will_do_names_what_the_rule_judges() -> None:
    """The "never" sentence in full for each basis; the best chance quoted is the plan's best,
    checked against scipy's binomial tail at that size."""
    from scipy.stats import binom
    from statsmodels.stats.proportion import proportion_confint

    plan = size_plan(BAR, 0.90)
    ks = np.arange(plan.best_size + 1)
    low, _ = proportion_confint(ks, plan.best_size, alpha=0.05, method="wilson")
    k_min = int(ks[low >= 0.90][0])
    assert plan.best_chance == pytest.approx(binom.sf(k_min - 1, plan.best_size, 0.9), abs=1e-9)
    assert plan_sentences(plan)[0] == (
        "No number of cases will do: a system whose true rate is 90% is not better than the 90% "
        "threshold, so judged on the 95% lower bound it passes at most "
        f"{chance_text(plan.best_chance)} of the time, at any size. The system must be expected "
        "to do clearly better than the threshold, not just match it."
    )
    at_most = size_plan(rule(0.10, at_most=True), 0.10)
    assert plan_sentences(at_most, unit="answerable cases")[0] == (
        "No number of answerable cases will do: a system whose true rate is 10% is not lower "
        "than the 10% threshold, so judged on the 95% upper bound it passes at most "
        f"{chance_text(at_most.best_chance)} of the time, at any size. The system must be "
        "expected to do clearly lower than the threshold, not just match it."
    )
    point = size_plan(rule(0.9, judged_on="point"), 0.85)
    assert plan_sentences(point)[0] == (
        "No number of cases will do: a system whose true rate is 85% is not better than the 90% "
        "threshold, so judged on the point estimate it passes about half the time at best, at "
        "any size. The system must be expected to do clearly better than the threshold, not "
        "just match it."
    )


def test_a_gate_that_cannot_pass_yet_says_0_percent() -> None:
    # 10 of 10 right: Wilson's lower bound is 0.722 < 0.90, so 10 outputs never pass.
    assert more_sentence(10, BAR, 0.95) == (
        "About 207 more graded outputs: with 10, a system whose true rate is 95% would pass "
        "0% of the time; with 217 it passes 80.0%."
    )


def test_size_lists_and_counts_read_as_written() -> None:
    assert size_list(((218, 228),)) == "218–228"
    assert size_list(((1, 1), (3, 3))) == "1 and 3"
    assert size_list(((1, 2), (4, 4), (6, 7), (9, 9))) == "1–2, 4, 6–7 and 9"  # 4: all shown
    five = ((1, 1), (3, 3), (5, 5), (7, 7), (9, 9))
    assert size_list(five) == "1, 3, 5, 7 and 1 more stretch up to 9"
    assert (count_text(1, "cases"), count_text(2, "cases"), count_text(1_500, "cases")) == (
        "just one of the cases",
        "2 cases",
        "1,500 cases",
    )


def test_the_steps_and_the_size_on_hand_in_their_default_words() -> None:
    plan = size_plan(BAR, 0.95, have=60)
    assert steps_sentence(plan) == (
        "Sizes are not monotone: at 218–228, 235–241 and 253 cases the chance dips below 80% "
        "again (one more case can need one more success); from 254 on, every size up to 20,000 "
        "keeps at least 80%."
    )
    assert have_sentence(plan) == (
        "The golden set has 60 cases: a system whose true rate is 95% passes 19.2% of the time; "
        "add about 157 more."
    )
    assert have_sentence(size_plan(BAR, 0.95, have=300)) == (
        "The golden set has 300 cases: a system whose true rate is 95% passes "
        f"{chance_text(size_plan(BAR, 0.95, have=300).chance_have or 0)} of the time: enough."
    )
    beyond = size_plan(BAR, 0.905, have=60)
    assert have_sentence(beyond) == (
        "The golden set has 60 cases: a system whose true rate is 90.5% passes "
        f"{chance_text(beyond.chance_have or 0)} of the time; no size up to 20,000 reaches 80%."
    )


def test_a_size_that_passes_only_with_a_perfect_result_is_not_too_few() -> None:
    """Wilson's bound at k = 0 or k = n is n / (n + z²) from the far end: 35 cases is the
    fewest where all 35 right clear 90% on the lower bound (and none wrong clears at most 10%
    on the upper), so 35 can pass, with chance 0.95³⁵ = 16.6%; 10 cases cannot."""
    assert have_sentence(size_plan(BAR, 0.95, have=35)) == (
        "The golden set has 35 cases: a system whose true rate is 95% passes "
        f"{chance_text(0.95**35)} of the time; add about 182 more."
    )
    at_most = rule(0.10, at_most=True)
    assert have_sentence(size_plan(at_most, 0.05, have=35), unit="answerable cases") == (
        "The golden set has 35 answerable cases: a system whose true rate is 5% passes "
        f"{chance_text(0.95**35)} of the time; add about 182 more."
    )
    for judged in (BAR, at_most):
        assert have_sentence(size_plan(judged, 0.95 if judged is BAR else 0.05, have=10)) == (
            "The golden set has 10 cases: too few to pass at all, even with a perfect result; "
            "add about 207 more."
        )
    assert have_sentence(size_plan(BAR, 0.95)) is None  # no size on hand: nothing to compare


def test_a_plan_that_never_holds_its_power_lists_where_it_dips() -> None:
    """Judged on the point at 90%, a system exactly at 90% passes P(K ≥ ⌈0.9n⌉) (scipy's
    binomial tail): above 55% at small sizes, dipping below it at these, then for good."""
    from scipy.stats import binom

    plan = size_plan(rule(0.9, judged_on="point"), 0.9, 0.55)
    low = [n for n in range(1, 30) if binom.sf(np.ceil(0.9 * n - 1e-9) - 1, n, 0.9) < 0.55]
    assert low == [*range(6, 10), *range(15, 20), *range(25, 30)]
    sentence = steps_sentence(plan)
    assert sentence is not None and sentence.startswith(
        "Larger sizes keep dipping below 55% up to 20,000 cases: 6–9, 15–19, 25–29, "
    )
    assert sentence.endswith(f"more stretches up to {plan.dips[-1][1]:,}.")


def test_chances_at_the_edges_of_each_wording() -> None:
    assert need_sentence(size_plan(BAR, 0.95)).startswith("Needs 217 cases for the chance")
    assert [chance_text(v) for v in (0.0, 0.001, 0.999, 1.0)] == ["0%", "0.1%", "99.9%", "100%"]


def test_the_plan_in_full_uses_the_units_and_label_given() -> None:
    plan = size_plan(BAR, 0.95, have=60)
    sentences = plan_sentences(plan, unit="answerable cases", label="The sample has")
    assert "at 218–228, 235–241 and 253 answerable cases the chance dips" in sentences[1]
    assert sentences[2].startswith("The sample has 60 answerable cases: ")


def test_the_point_warning_in_full_with_and_without_a_size_on_hand() -> None:
    """The chance for a system exactly at 90% is P(K ≥ ⌈0.9n⌉) at rate 0.9 (scipy)."""
    from scipy.stats import binom

    point = rule(0.9, judged_on="point")
    have = size_plan(point, 0.95, have=60)
    assert point_warning(have) == (
        "Judged on the point estimate, a system exactly at 90% passes "
        f"{chance_text(binom.sf(53, 60, 0.9))} of the time with 60 (it tends to half as the size "
        "grows): a pass proves little. Judged on the 95% bound it would pass about 2.5% of the "
        "time."
    )
    plan = size_plan(point, 0.95)
    assert plan.required is not None and plan.required != 60
    at_threshold = binom.sf(np.ceil(0.9 * plan.required - 1e-9) - 1, plan.required, 0.9)
    assert point_warning(plan) == (
        "Judged on the point estimate, a system exactly at 90% passes "
        f"{chance_text(at_threshold)} of the time with {plan.required:,} (it tends to half as "
        "the size grows): a pass proves little. Judged on the 95% bound it would pass about "
        "2.5% of the time."
    )
    assert point_warning(size_plan(BAR, 0.95, have=60)) is None
