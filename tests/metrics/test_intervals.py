from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from metrics.intervals import Z95, wilson, wilson_bounds, wilson_exprs


def test_wilson_hand_worked() -> None:
    # k=2, n=5, z=1.96: p=0.4, z²/n=0.76829, denom=1.76829
    # centre=(0.4+0.38415)/1.76829=0.44345; half=1.96·√(0.048+0.038415)/1.76829=0.32583
    # → (0.1176, 0.7693)
    low, high = wilson(2, 5)
    assert low == pytest.approx(0.1176, abs=1e-4)
    assert high == pytest.approx(0.7693, abs=1e-4)


def test_wilson_edges_stay_in_unit_interval() -> None:
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == 1.0
    # 0/10: the upper bound is z²/(n+z²) = 3.8415/13.8415 = 0.2775
    assert wilson(0, 10)[1] == pytest.approx(Z95**2 / (10 + Z95**2))


@pytest.mark.parametrize(("k", "n"), [(0, 0), (-1, 5), (6, 5)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson(k, n)


@given(st.integers(1, 1_000_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_statsmodels_and_contains_estimate(kn: tuple[int, int]) -> None:
    k, n = kn
    low, high = wilson(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12)
    assert high == pytest.approx(ref_high, abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(st.lists(st.integers(0, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))))
def test_wilson_exprs_match_scalar(pairs: list[tuple[int, int]]) -> None:
    frame = pl.DataFrame(pairs, schema={"k": pl.Int64, "n": pl.Int64}, orient="row")
    low, high = wilson_exprs("k", "n")
    out = frame.select(low, high)
    for (k, n), (lo, hi) in zip(pairs, out.iter_rows(), strict=True):
        if n == 0:
            assert lo is None and hi is None
        else:
            ref = wilson(k, n)
            assert lo == pytest.approx(ref[0], abs=1e-12)
            assert hi == pytest.approx(ref[1], abs=1e-12)


def test_wilson_exprs_work_in_group_by() -> None:
    frame = pl.DataFrame({"g": ["a", "a", "b"], "ok": [True, False, True]})
    low, high = wilson_exprs(pl.col("ok").sum(), pl.len())
    out = frame.group_by("g").agg(low, high).sort("g")
    assert out.row(0)[1:] == pytest.approx(wilson(1, 2))
    assert out.row(1)[1:] == pytest.approx(wilson(1, 1))
    assert not any(math.isnan(v) for row in out.select("low", "high").rows() for v in row)


def test_impossible_counts_are_refused_saying_why() -> None:
    with pytest.raises(ValueError) as refused:
        wilson(0, 0)
    assert str(refused.value) == "a Wilson interval needs n > 0 trials, got n=0"
    with pytest.raises(ValueError) as refused:
        wilson(6, 5)
    assert str(refused.value) == "successes must be between 0 and n=5, got k=6"


def test_no_successes_bound_exactly_at_zero_and_all_at_one() -> None:
    for n in (1, 3, 7, 10, 99, 1000):
        assert wilson(0, n)[0] == 0.0 and wilson(n, n)[1] == 1.0


def test_the_estimate_uses_the_z_it_is_given() -> None:
    from metrics.estimate import Estimate

    e = Estimate.from_counts("accuracy", 8, 10, z=2.576)
    assert (e.low, e.high) == wilson(8, 10, 2.576) != wilson(8, 10)
    counts = pl.DataFrame({"k": [1, 1, 0], "n": [1, 1, 1]})
    f = Estimate.from_frame("accuracy", counts, z=2.576)
    assert (f.name, f.low, f.high, f.n) == ("accuracy", *wilson(2, 3, 2.576), 3)
    assert Estimate.from_counts("accuracy", 0, 0) == Estimate("accuracy", None, None, None, 0)


def test_clopper_pearson_matches_statsmodels_at_both_ends_and_between() -> None:
    """The exact interval against statsmodels' `proportion_confint(method="beta")`, one count at
    a time and as arrays: 0 exactly at k = 0, 1 exactly at k = n, beta quantiles between."""
    import numpy as np

    from metrics.intervals import clopper_pearson_bounds

    pairs = [(0, 1), (1, 1), (0, 10), (1, 10), (5, 10), (9, 10), (10, 10), (3, 7), (1, 2)]
    for k, n in pairs:
        low, high = clopper_pearson_bounds(k, n)
        want = proportion_confint(k, n, alpha=0.05, method="beta")
        assert (float(low), float(high)) == pytest.approx(want, abs=1e-12), (k, n)
    ks, ns = np.array([k for k, _ in pairs]), np.array([n for _, n in pairs])
    lows, highs = clopper_pearson_bounds(ks, ns)
    assert lows[ks == 0].tolist() == [0.0, 0.0] and highs[ks == ns].tolist() == [1.0, 1.0]
    assert lows.tolist() == pytest.approx(
        [proportion_confint(k, n, method="beta")[0] for k, n in pairs], abs=1e-12
    )
    assert clopper_pearson_bounds(7, 10, confidence=0.9) == pytest.approx(
        proportion_confint(7, 10, alpha=0.1, method="beta"), abs=1e-12
    )


def test_no_successes_bound_exactly_at_zero_for_every_size_at_once() -> None:
    # Algebraically centre = half at k = 0; in floating point centre − half is −1.4e-17 at
    # n = 21 (and at many larger n), which the bound must not report.
    n = np.arange(1, 501)
    low, _ = wilson_bounds(np.zeros_like(n), n)
    _, high = wilson_bounds(n, n)
    assert (low == 0.0).all() and (high == 1.0).all()
