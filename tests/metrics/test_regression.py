from __future__ import annotations

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
