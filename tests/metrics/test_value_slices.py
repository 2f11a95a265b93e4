"""Value metrics (a percentile, a mean) summarised per tag, next to proportions, and the
summaries themselves on the smallest inputs: every figure worked by hand."""

from __future__ import annotations

import polars as pl
import pytest
from metric_frames import Builder

from metrics import compute_all
from metrics._frames import CALLS
from metrics.estimate import Estimate
from metrics.intervals import wilson
from metrics.quantiles import quantile_interval
from metrics.slices import per_tag
from metrics.summaries import Mean, Quantile

NAMES = ("accuracy", "latency_p50_ms", "cost_per_case_usd")


def run(results: Builder) -> tuple[pl.DataFrame, pl.DataFrame]:
    """c1 [a] right, c2 [a, b] wrong, c3 [b] right, c4 untagged right; latencies 100, 300,
    200, 50 ms; costs 0.01, unknown (no price for model x), 0.03, 0.04."""
    frame = results(
        {"case_id": "c1", "correct": True, "tags": ["a"]},
        {"case_id": "c2", "correct": False, "tags": ["a", "b"]},
        {"case_id": "c3", "correct": True, "tags": ["b"]},
        {"case_id": "c4", "correct": True, "tags": []},
    )
    calls = pl.DataFrame(
        {
            "case_id": ["c1", "c2", "c3", "c4"],
            "latency_ms": [100.0, 300.0, 200.0, 50.0],
            "cached": [False] * 4,
            "attempts": [1] * 4,
            "model": ["m", "x", "m", "m"],
            "cost_usd": [0.01, None, 0.03, 0.04],
        },
        schema=dict(CALLS),
    )
    return frame, calls


def test_value_metrics_are_summarised_tag_by_tag_in_the_order_asked(results: Builder) -> None:
    frame, calls = run(results)
    table = per_tag(frame, calls=calls, names=NAMES)
    assert table.schema == pl.Schema(
        {
            "tag": pl.String,
            "metric": pl.String,
            "value": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
            "n": pl.Int64,
            "k": pl.Int64,
        }
    )
    p50_a, p50_b = quantile_interval([100.0, 300.0], 0.5), quantile_interval([200.0, 300.0], 0.5)
    assert table.rows() == [
        ("a", "accuracy", 0.5, *wilson(1, 2), 2, 1),
        ("a", "latency_p50_ms", 200.0, *p50_a, 2, None),
        ("a", "cost_per_case_usd", None, None, None, 2, None),  # one unknown price
        ("b", "accuracy", 0.5, *wilson(1, 2), 2, 1),
        ("b", "latency_p50_ms", 250.0, *p50_b, 2, None),
        ("b", "cost_per_case_usd", None, None, None, 2, None),
    ]
    reordered = per_tag(frame, calls=calls, names=NAMES[::-1])
    assert reordered.filter(pl.col("tag") == "a")["metric"].to_list() == list(NAMES[::-1])


def test_a_slice_where_every_price_is_known_has_its_mean(results: Builder) -> None:
    frame, calls = run(results)
    calls = calls.with_columns(cost_usd=pl.Series([0.01, 0.02, 0.03, 0.04]))
    table = per_tag(frame, calls=calls, names=("cost_per_case_usd",))
    assert table.select("tag", "value", "n").rows() == [
        ("a", pytest.approx(0.015), 2),
        ("b", pytest.approx(0.025), 2),
    ]


def test_a_99_percent_slice_widens_the_interval(results: Builder) -> None:
    frame, calls = run(results)
    table = per_tag(frame, calls=calls, names=("accuracy",), z=2.576)
    assert table.select("low", "high").row(0) == pytest.approx(wilson(1, 2, 2.576))


def test_every_estimate_carries_its_metric_name(results: Builder) -> None:
    frame, calls = run(results)
    estimates = compute_all(frame, calls=calls)
    assert {name: e.name for name, e in estimates.items()} == {n: n for n in estimates}
    assert estimates["cost_per_case_usd"] == Estimate(
        "cost_per_case_usd", None, None, None, 4, unknown="1 of 4 cases: no price for model x"
    )


def counts(
    x: list[float | None], n: list[int], unknown: list[str | None] | None = None
) -> pl.DataFrame:
    columns: dict[str, list] = {"case_id": [f"c{i}" for i in range(len(x))], "x": x, "n": n}
    if unknown is not None:
        columns["unknown"] = unknown
    return pl.DataFrame(columns, schema_overrides={"x": pl.Float64, "unknown": pl.String})


def test_one_value_is_its_own_mean_and_median() -> None:
    one = counts([42.0, 7.0], [1, 0])  # the second case does not count
    assert Mean().estimate("cost_per_case_usd", one) == Estimate(
        "cost_per_case_usd", 42.0, None, None, 1
    )
    assert Quantile(0.5).estimate("latency_p50_ms", one) == Estimate(
        "latency_p50_ms", 42.0, None, None, 1
    )
    none = counts([7.0], [0])
    assert Mean().estimate("m", none) == Estimate.missing("m")
    assert Quantile(0.95).estimate("q", none) == Estimate.missing("q")


def test_unknown_values_are_listed_once_each_in_order() -> None:
    frame = counts(
        [0.1, None, None, None],
        [1, 1, 1, 1],
        [None, "no price for model b", "no price for model a", "no price for model b"],
    )
    why = "3 of 4 cases: no price for model a; no price for model b"
    assert Mean().estimate("cost", frame) == Estimate("cost", None, None, None, 4, unknown=why)
    assert Quantile(0.5).estimate("p50", frame) == Estimate("p50", None, None, None, 4, unknown=why)


def test_a_slice_large_enough_for_a_median_interval_has_its_bounds(results: Builder) -> None:
    """Eight cases tagged "t", latencies 100..800 ms. The median is 450 (linear between the
    4th and 5th); with Binomial(8, ½): B(0) = 1/256 ≤ 2.5% < B(1) = 9/256, so the lower bound is
    the 1st value, and B(6) = 247/256 < 97.5% ≤ B(7) = 255/256, so the upper is the 8th."""
    frame = results(*({"case_id": f"c{i}", "correct": True, "tags": ["t"]} for i in range(8)))
    calls = pl.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(8)],
            "latency_ms": [100.0 * (i + 1) for i in range(8)],
            "cached": [False] * 8,
            "attempts": [1] * 8,
            "model": ["m"] * 8,
            "cost_usd": [0.01] * 8,
        },
        schema=dict(CALLS),
    )
    table = per_tag(frame, calls=calls, names=("latency_p50_ms",))
    assert table.rows() == [("t", "latency_p50_ms", 450.0, 100.0, 800.0, 8, None)]
    untagged = results(*({"case_id": f"c{i}", "correct": True, "tags": []} for i in range(8)))
    empty = per_tag(untagged, calls=calls, names=("latency_p50_ms",))
    assert empty.is_empty() and empty.schema == table.schema
