from __future__ import annotations

import math
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from metric_frames import Builder, Frames
from scipy.stats import binomtest

from metrics.intervals import wilson
from metrics.regression import compare_runs, mcnemar_exact, paired_difference_ci


def test_mcnemar_hand_worked() -> None:
    # b=4, c=1: X ~ Bin(5, ½), P(X ≤ 1) = (1 + 5)/32 = 0.1875, two-sided 0.375
    assert mcnemar_exact(4, 1) == pytest.approx(0.375)
    assert mcnemar_exact(1, 4) == pytest.approx(0.375)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    # b=6, c=0: 2·(½)⁶ = 0.03125
    assert mcnemar_exact(6, 0) == pytest.approx(0.03125)


@given(st.integers(0, 400), st.integers(0, 400))
def test_mcnemar_matches_scipy(b: int, c: int) -> None:
    expected = 1.0 if b + c == 0 else binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("b", "c"), [(5000, 5400), (120_000, 119_000), (1500, 0), (700, 800)])
def test_mcnemar_large_counts_match_scipy(b: int, c: int) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-6)


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_newcombe_paired_interval_matches_published_example() -> None:
    # Cavo et al. 2012 as tabulated by Fagerland, Lydersen & Laake (contingencytables):
    # both 59, first only 6, second only 16, neither 80 → −0.0621 (−0.1186 to −0.0046)
    low, high = paired_difference_ci(59, 6, 16, 80)
    assert low == pytest.approx(-0.1186, abs=5e-5)
    assert high == pytest.approx(-0.0046, abs=5e-5)


@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_newcombe_interval_contains_difference(a: int, b: int, c: int, d: int) -> None:
    n = a + b + c + d
    if n == 0:
        return
    low, high = paired_difference_ci(a, b, c, d)
    assert -1.0 <= low <= (b - c) / n <= high <= 1.0


def test_compare_runs_hand_worked(results: Builder) -> None:
    # 10 shared cases. base right on c0–c7; new breaks c0–c3 and fixes c8.
    # b (now wrong) = 4, c (now right) = 1 → p = 0.375 (not significant)
    # accuracy: base 8/10, new 5/10, delta −0.3
    base = results(*({"case_id": f"c{i}", "correct": i < 8} for i in range(10)))
    new = results(
        *({"case_id": f"c{i}", "correct": (4 <= i < 8) or i == 8} for i in range(10)),
        {"case_id": "extra", "correct": True},
    )
    cmp = compare_runs(base, new)
    assert (cmp.n, cmp.b, cmp.c, cmp.base_only, cmp.new_only) == (10, 4, 1, 0, 1)
    assert cmp.p_value == pytest.approx(0.375)
    assert not cmp.significantly_worse()
    assert cmp.flips.rows() == [
        ("c0", True, False, "now_wrong"),
        ("c1", True, False, "now_wrong"),
        ("c2", True, False, "now_wrong"),
        ("c3", True, False, "now_wrong"),
        ("c8", False, True, "now_right"),
    ]
    acc = cmp.deltas["accuracy"]
    assert acc.value == pytest.approx(-0.3)
    assert acc.base.value == 0.8 and acc.new.value == 0.5
    assert (acc.base.low, acc.base.high) == pytest.approx(wilson(8, 10))
    # table for new − base: both 4, new only 1, base only 4, neither 1
    assert (acc.low, acc.high) == pytest.approx(paired_difference_ci(4, 1, 4, 1))
    assert acc.low < acc.value < acc.high
    assert set(cmp.deltas) == {
        "accuracy",
        "abstain_rate_unanswerable",
        "false_abstain_rate",
        "infra_error_rate",
    }


def test_significantly_worse(results: Builder) -> None:
    # 8 broken, none fixed: p = 2·(½)⁸ = 0.0078
    base = results(*({"case_id": f"c{i}", "correct": True} for i in range(8)))
    new = results(*({"case_id": f"c{i}", "correct": False} for i in range(8)))
    cmp = compare_runs(base, new)
    assert cmp.p_value == pytest.approx(2 / 256)
    assert cmp.significantly_worse() and not cmp.significantly_worse(alpha=0.005)
    assert not compare_runs(new, base).significantly_worse()  # better, not worse
    assert cmp.to_dict()["now_wrong"] == 8


def test_errors_and_unjudged_count_as_wrong_in_comparison(results: Builder) -> None:
    base = results({"case_id": "a", "correct": True}, {"case_id": "b", "correct": True})
    new = results(
        {"case_id": "a", "correct": True, "error": "timeout"}, {"case_id": "b", "correct": None}
    )
    assert compare_runs(base, new).b == 2


def test_compare_empty_runs(empty: Frames) -> None:
    cmp = compare_runs(empty["results"], empty["results"])
    assert (cmp.n, cmp.b, cmp.c, cmp.p_value) == (0, 0, 0, 1.0)
    assert cmp.deltas["accuracy"].value is None
    assert cmp.flips.is_empty()


def test_the_comparison_reads_out_in_full(results: Builder) -> None:
    """The JSON shape `pilot run --baseline` prints, for the hand-worked runs above."""
    base = results(*({"case_id": f"c{i}", "correct": i < 8} for i in range(10)))
    new = results(
        *({"case_id": f"c{i}", "correct": (4 <= i < 8) or i == 8} for i in range(10)),
        {"case_id": "extra", "correct": True},
    )
    cmp = compare_runs(base, new)
    low, high = paired_difference_ci(4, 1, 4, 1)
    out = cmp.to_dict()
    assert list(out) == [
        "n",
        "now_wrong",
        "now_right",
        "base_only",
        "new_only",
        "p_value",
        "deltas",
        "flips",
    ]
    assert (out["n"], out["now_wrong"], out["now_right"], out["base_only"], out["new_only"]) == (
        10,
        4,
        1,
        0,
        1,
    )
    assert out["p_value"] == pytest.approx(0.375)
    assert out["deltas"]["accuracy"] == {
        "value": pytest.approx(-0.3),
        "low": pytest.approx(low),
        "high": pytest.approx(high),
        "n": 10,
    }
    assert out["flips"][0] == {
        "case_id": "c0",
        "base_correct": True,
        "new_correct": False,
        "direction": "now_wrong",
    }
    acc = cmp.deltas["accuracy"]
    assert (acc.name, acc.base.name, acc.new.name, acc.n) == ("accuracy",) * 3 + (10,)


def test_a_delta_pairs_only_cases_the_metric_applies_to_in_both_runs(results: Builder) -> None:
    # c0 was answerable in the base run's golden set but not in the new one's: the
    # false-abstain rate (answerable cases only) pairs c1 and c2 alone
    base = results(
        {"case_id": "c0", "abstained": True},
        {"case_id": "c1", "abstained": True},
        {"case_id": "c2"},
    )
    new = results(
        {"case_id": "c0", "answerable": False, "abstained": True},
        {"case_id": "c1"},
        {"case_id": "c2"},
    )
    delta = compare_runs(base, new).deltas["false_abstain_rate"]
    assert (delta.n, delta.base.value, delta.new.value, delta.value) == (2, 0.5, 0.0, -0.5)


def test_runs_with_no_case_in_common_have_no_delta(results: Builder) -> None:
    cmp = compare_runs(results({"case_id": "a"}), results({"case_id": "b"}))
    acc = cmp.deltas["accuracy"]
    assert (acc.name, acc.value, acc.low, acc.high, acc.n) == ("accuracy", None, None, None, 0)
    assert (acc.base.name, acc.base.n, acc.new.name, acc.new.n) == ("accuracy", 0, "accuracy", 0)
    assert (cmp.n, cmp.base_only, cmp.new_only) == (0, 1, 1)


def test_a_99_percent_comparison_widens_every_interval(results: Builder) -> None:
    base = results(*({"case_id": f"c{i}", "correct": i < 8} for i in range(10)))
    new = results(*({"case_id": f"c{i}", "correct": i < 5} for i in range(10)))
    wide = compare_runs(base, new, z=2.576).deltas["accuracy"]
    assert (wide.low, wide.high) == pytest.approx(paired_difference_ci(5, 0, 3, 2, z=2.576))
    assert (wide.base.low, wide.base.high) == pytest.approx(wilson(8, 10, 2.576))
    assert (wide.new.low, wide.new.high) == pytest.approx(wilson(5, 10, 2.576))
    narrow = compare_runs(base, new).deltas["accuracy"]
    assert wide.low < narrow.low and wide.high > narrow.high


def test_worse_means_more_broken_than_fixed_and_p_below_alpha(results: Builder) -> None:
    from metrics.regression import RunComparison

    def comparison(b: int, c: int, p: float) -> RunComparison:
        return RunComparison(pl.DataFrame(), b + c, b, c, 0, 0, p)

    assert comparison(8, 0, 0.0078).significantly_worse()
    assert not comparison(8, 8, 0.0078).significantly_worse()  # as many fixed as broken
    assert not comparison(8, 0, 0.05).significantly_worse()  # p exactly at alpha: not below


def test_a_negative_count_is_refused_naming_both() -> None:
    with pytest.raises(ValueError) as refused:
        mcnemar_exact(-1, 2)
    assert str(refused.value) == "discordant counts must be non-negative, got b=-1, c=2"


def newcombe_by_the_paper(
    a: int, b: int, c: int, d: int, z: float = 1.959963984540054
) -> tuple[float, float]:
    """Newcombe (1998) method 10 written out from the paper: A both, B first only, C second
    only, D neither; phi corrected for continuity when AD > BC and 0 when a margin is 0."""
    n = a + b + c + d
    e, f, g, h = a + b, c + d, a + c, b + d  # row and column totals
    p1, p2 = e / n, g / n
    l1, u1 = wilson(e, n, z)
    l2, u2 = wilson(g, n, z)
    if e * f * g * h == 0:
        phi = 0.0
    elif a * d > b * c:
        phi = max(a * d - b * c - n / 2, 0) / math.sqrt(e * f * g * h)
    else:
        phi = (a * d - b * c) / math.sqrt(e * f * g * h)
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return p1 - p2 - delta, p1 - p2 + eps


def test_the_paired_interval_is_newcombes_on_every_small_table() -> None:
    checked = 0
    for n in range(1, 9):
        for a in range(n + 1):
            for b in range(n + 1 - a):
                for c in range(n + 1 - a - b):
                    d = n - a - b - c
                    assert paired_difference_ci(a, b, c, d) == pytest.approx(
                        newcombe_by_the_paper(a, b, c, d), abs=1e-12
                    ), (a, b, c, d)
                    checked += 1
    assert checked == 494  # every 2x2 table with 1 to 8 paired cases


def test_a_paired_interval_needs_a_pair() -> None:
    with pytest.raises(ValueError) as refused:
        paired_difference_ci(0, 0, 0, 0)
    assert str(refused.value) == "a paired interval needs at least one paired case"
    wide = paired_difference_ci(5, 3, 1, 1, z=2.576)
    assert wide == pytest.approx(newcombe_by_the_paper(5, 3, 1, 1, z=2.576))
    assert wide[0] < paired_difference_ci(5, 3, 1, 1)[0]


def exact_mcnemar(b: int, c: int) -> float:
    """The definition in rational arithmetic: min(1, 2·Σ_{i ≤ min(b, c)} C(n, i) / 2ⁿ)."""
    n = b + c
    tail = Fraction(sum(math.comb(n, i) for i in range(min(b, c) + 1)), 2**n)
    return float(min(Fraction(1), 2 * tail))


def test_mcnemar_is_exact_up_to_1000_discordant_cases() -> None:
    assert mcnemar_exact(450, 550) == exact_mcnemar(450, 550)  # to the last bit at n = 1,000
    assert mcnemar_exact(0, 1000) == exact_mcnemar(0, 1000)


@pytest.mark.parametrize(("b", "c"), [(0, 1001), (1, 1000), (2, 1010)])
def test_mcnemar_past_1000_sums_the_tail_down_to_none_broken(b: int, c: int) -> None:
    """Every term counts when the tail is a few terms long, the last one (i = 0) included."""
    assert mcnemar_exact(b, c) == pytest.approx(exact_mcnemar(b, c), rel=1e-9)
    assert mcnemar_exact(b, c) > 0.0
