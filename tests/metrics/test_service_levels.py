"""Latency, cost and infrastructure errors, each checked against an independent computation:
numpy's percentile, scipy's order-statistic interval, and figures worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from metrics import compute_all, per_tag
from metrics.intervals import wilson
from metrics.quantiles import order_statistic_ranks, quantile_interval

CALLS = {
    "case_id": pl.String,
    "latency_ms": pl.Float64,
    "cached": pl.Boolean,
    "attempts": pl.Int64,
    "model": pl.String,
    "cost_usd": pl.Float64,
}


def results(ids: list[str], errors: dict[str, str] | None = None, tags=None) -> pl.DataFrame:
    errors = errors or {}
    return pl.DataFrame(
        {
            "case_id": ids,
            "answer": ["x"] * len(ids),
            "abstained": [False] * len(ids),
            "correct": [True] * len(ids),
            "error": [errors.get(i) for i in ids],
            "answerable": [True] * len(ids),
            "expected_answer": ["x"] * len(ids),
            "tags": tags or [[] for _ in ids],
            "consequential": [False] * len(ids),
        },
        schema_overrides={"error": pl.String},
    )


def calls(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CALLS, orient="row")


def latencies(n: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).lognormal(mean=7.0, sigma=0.6, size=n).round(1)


def latency_frames(values: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    ids = [f"c{i}" for i in range(len(values))]
    return results(ids), calls(
        [(i, float(v), False, 1, "m", 0.0) for i, v in zip(ids, values, strict=True)]
    )


@pytest.mark.parametrize("n", [1, 5, 6, 20, 71, 72, 100, 1000, 25_000])
@pytest.mark.parametrize("q", [0.5, 0.95])
def test_order_statistic_ranks_match_scipy(n: int, q: float) -> None:
    values = np.arange(1.0, n + 1)  # the k-th smallest is k, so scipy's bounds are ranks
    ci = stats.quantile_test(values, q=0, p=q).confidence_interval(0.95)
    low, high = order_statistic_ranks(n, q)
    assert low == (None if np.isnan(ci.low) else int(ci.low))
    assert high == (None if np.isnan(ci.high) else int(ci.high))


def test_p95_upper_bound_needs_72_values() -> None:
    # 0.95^71 = 0.0262 > 2.5% but 0.95^72 = 0.0249: the largest of 72 bounds the p95.
    assert order_statistic_ranks(71, 0.95)[1] is None
    assert order_statistic_ranks(72, 0.95)[1] == 72


@pytest.mark.parametrize("n", [10, 200, 5000])
def test_latency_percentiles_match_numpy_and_scipy(n: int) -> None:
    values = latencies(n)
    res, cl = latency_frames(values)
    out = compute_all(res, calls=cl)
    for name, q in (("latency_p50_ms", 0.5), ("latency_p95_ms", 0.95)):
        e = out[name]
        assert e.n == n
        assert e.value == pytest.approx(np.percentile(values, 100 * q))
        ci = stats.quantile_test(values, q=0, p=q).confidence_interval(0.95)
        assert e.low == (None if np.isnan(ci.low) else pytest.approx(ci.low))
        assert e.high == (None if np.isnan(ci.high) else pytest.approx(ci.high))


def test_small_n_has_no_p95_upper_bound_and_shows_n() -> None:
    res, cl = latency_frames(latencies(50))
    e = compute_all(res, calls=cl)["latency_p95_ms"]
    assert e.n == 50 and e.value is not None and e.high is None and e.low is not None


def test_latency_leaves_out_cached_and_never_called_cases() -> None:
    res = results(["a", "b", "c", "d"], errors={"d": "not in the response cache (replay)"})
    cl = calls(
        [
            ("a", 100.0, False, 1, "m", 0.0),
            ("b", 900.0, False, 3, "m", 0.0),  # three attempts: the wait counts, retries too
            ("c", 0.2, True, 0, "m", 0.0),  # cached: says nothing about the service
            ("d", 0.1, False, 0, None, None),  # replay miss: never called
        ]
    )
    p50 = compute_all(res, calls=cl)["latency_p50_ms"]
    assert (p50.value, p50.n) == (500.0, 2)  # numpy: percentile([100, 900], 50) = 500


def test_cost_per_case_hand_worked() -> None:
    # Prices are the caller's: cost_usd is given per case. a: 0.003, b: 0.009, c: cached 0.003;
    # d failed (not counted). Mean over answered cases = 0.015 / 3 = 0.005.
    res = results(["a", "b", "c", "d"], errors={"d": "timed out"})
    cl = calls(
        [
            ("a", 10.0, False, 1, "claude-x", 0.003),
            ("b", 10.0, False, 1, "claude-x", 0.009),
            ("c", 0.1, True, 0, "claude-x", 0.003),
            ("d", 10.0, False, 6, None, None),
        ]
    )
    e = compute_all(res, calls=cl)["cost_per_case_usd"]
    assert e.value == pytest.approx(0.005) and e.n == 3
    assert e.low is None and e.high is None and e.unknown is None  # no interval: n is shown


def test_an_unknown_price_makes_the_cost_unknown_never_zero() -> None:
    res = results(["a", "b"])
    cl = calls([("a", 1.0, False, 1, "claude-x", 0.003), ("b", 1.0, False, 1, "my-model", None)])
    e = compute_all(res, calls=cl)["cost_per_case_usd"]
    assert e.value is None and e.n == 2
    assert e.unknown == "1 of 2 cases: no price for model my-model"
    assert e.to_dict()["unknown"] == e.unknown and e.to_dict()["value"] is None


def test_infra_error_rate_hand_worked() -> None:
    res = results([f"c{i}" for i in range(8)], errors={"c1": "timed out", "c6": "HTTP 529"})
    e = compute_all(res)["infra_error_rate"]
    assert (e.value, e.n) == (0.25, 8)
    assert (e.low, e.high) == pytest.approx(wilson(2, 8))


def test_service_metrics_per_tag_match_numpy_on_each_tag() -> None:
    values = latencies(300)
    ids = [f"c{i}" for i in range(300)]
    tags = [
        ["even"] if i % 2 == 0 else (["odd", "slow"] if i % 3 == 0 else ["odd"]) for i in range(300)
    ]
    res = results(ids, tags=tags)
    cl = calls([(i, float(v), False, 1, "m", 0.001) for i, v in zip(ids, values, strict=True)])
    table = per_tag(res, calls=cl)
    for tag in ("even", "odd", "slow"):
        picked = np.array([v for v, t in zip(values, tags, strict=True) if tag in t])
        row = table.filter((pl.col("tag") == tag) & (pl.col("metric") == "latency_p95_ms"))
        assert row["value"].item() == pytest.approx(np.percentile(picked, 95))
        assert row["n"].item() == len(picked)
        cost = table.filter((pl.col("tag") == tag) & (pl.col("metric") == "cost_per_case_usd"))
        assert cost["value"].item() == pytest.approx(0.001)


def test_quantile_interval_reads_the_ranks() -> None:
    ordered = [float(v) for v in range(1, 101)]
    low, high = order_statistic_ranks(100, 0.5)
    assert quantile_interval(ordered, 0.5) == (float(low), float(high))


def test_calls_in_another_order_or_missing_are_aligned_by_case() -> None:
    res = results(["a", "b", "c"])
    shuffled = calls([("c", 300.0, False, 1, "m", 0.03), ("a", 100.0, False, 1, "m", 0.01)])
    out = compute_all(res, calls=shuffled)
    assert (out["cost_per_case_usd"].value, out["cost_per_case_usd"].n) == (0.02, 2)
    assert (out["latency_p50_ms"].value, out["latency_p50_ms"].n) == (200.0, 2)  # b: no call row


def ranks_by_brute_force(n: int, q: float, tail: float = 0.025) -> tuple[int | None, int | None]:
    """The definition, summed over every rank with exact binomial terms: l the largest rank
    with B(l - 1) <= tail, u the smallest with B(u - 1) >= 1 - tail (None when none exists)."""
    from fractions import Fraction

    p = Fraction(q)
    cdf = [Fraction(0)] * (n + 1)
    running = Fraction(0)
    for k in range(n + 1):
        running += math.comb(n, k) * p**k * (1 - p) ** (n - k)
        cdf[k] = running
    low = max((k + 1 for k in range(n + 1) if cdf[k] <= tail), default=None)
    high = min((k + 1 for k in range(n + 1) if cdf[k] >= 1 - tail), default=None)
    return low, (high if high is not None and high <= n else None)


@pytest.mark.parametrize("q", [0.001, 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999])
def test_order_statistic_ranks_match_the_definition_for_small_n(q: float) -> None:
    for n in range(1, 80):
        assert order_statistic_ranks(n, q) == ranks_by_brute_force(n, q), n


@pytest.mark.parametrize("q", [0.0, 1.0, 1.5, -0.2])
def test_a_quantile_outside_0_and_1_is_refused(q: float) -> None:
    with pytest.raises(ValueError) as refused:
        order_statistic_ranks(10, q)
    assert str(refused.value) == f"a quantile's q must be strictly between 0 and 1, got {q}"


def test_a_cumulative_chance_exactly_on_a_tail_counts_as_reaching_it() -> None:
    # Two values, the median, 50%: B(0) = 1/4 is exactly the lower tail, so l = 1.
    assert order_statistic_ranks(2, 0.5, alpha=0.5) == ranks_by_brute_force(2, 0.5, 0.25) == (1, 2)
    # One value, the lower quartile, 50%: B(0) = 3/4 is exactly 1 - tail, so u = 1.
    assert order_statistic_ranks(1, 0.25, alpha=0.5) == ranks_by_brute_force(1, 0.25, 0.25)
    assert order_statistic_ranks(1, 0.25, alpha=0.5) == (None, 1)


@pytest.mark.parametrize(("n", "q"), [(5000, 0.25), (200_000, 0.1)])
def test_order_statistic_ranks_of_many_values_match_scipy(n: int, q: float) -> None:
    values = np.arange(1.0, n + 1)
    ci = stats.quantile_test(values, q=0, p=q).confidence_interval(0.95)
    assert order_statistic_ranks(n, q) == (int(ci.low), int(ci.high))


def test_no_values_no_ranks() -> None:
    assert order_statistic_ranks(0, 0.5) == (None, None)
    assert quantile_interval([], 0.95) == (None, None)


@pytest.mark.parametrize("q", [0.0, 1.0, 1.5, -0.1])
def test_a_quantile_outside_zero_and_one_is_refused_with_or_without_values(q: float) -> None:
    for n in (0, 1, 100):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            order_statistic_ranks(n, q)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        quantile_interval([], q)


def test_a_call_of_unknown_attempts_is_not_live_and_of_unknown_caching_is() -> None:
    from metrics.latency import latency_p50_counts

    frame = pl.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "latency_ms": [100.0, 200.0, 300.0],
            "cached": [False, None, True],
            "attempts": [None, 1, 1],
            "model": ["m"] * 3,
            "cost_usd": [0.0] * 3,
        }
    )
    counts = latency_p50_counts(frame).collect()
    assert counts.rows() == [("a", None, 0), ("b", 200.0, 1), ("c", None, 0)]


def test_a_cost_with_no_model_recorded_says_so() -> None:
    from metrics.cost import cost_per_case_counts

    answers = pl.DataFrame(
        {"case_id": ["a"], "error": [None]}, schema_overrides={"error": pl.String}
    )
    usage = pl.DataFrame(
        {"attempts": [1], "model": [None], "cost_usd": [None]},
        schema_overrides={"model": pl.String, "cost_usd": pl.Float64},
    )
    counts = cost_per_case_counts(answers, usage).collect()
    assert counts.rows() == [("a", None, 1, "no price for model (none recorded)")]


@pytest.mark.parametrize("alpha", [0.5, 0.2])
def test_quantile_interval_at_another_level_matches_scipy(alpha: float) -> None:
    values = latencies(60)
    ordered = sorted(float(v) for v in values)
    ci = stats.quantile_test(values, q=0, p=0.5).confidence_interval(1 - alpha)
    assert quantile_interval(ordered, 0.5, alpha) == (
        pytest.approx(ci.low),
        pytest.approx(ci.high),
    )
    assert quantile_interval(ordered, 0.5, alpha) != quantile_interval(ordered, 0.5)
