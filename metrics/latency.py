"""Latency per case: the median and the 95th percentile of the time a live call took.

A case's latency is its wall time from the first call to the stored answer, retries and backoff
included, since that is what a person waiting on the system sees. Answers served from the
response cache (and replayed cases, which call nothing) are left out: their time says nothing
about the service. Intervals are distribution-free, from order statistics (`metrics.quantiles`):
no shape is assumed for latencies, which are skewed; where n is too small for a bound (a p95
needs 72 calls for its upper bound) the bound is None and n is shown.
"""

from __future__ import annotations

import polars as pl

from metrics._frames import CALLS, Frame, conform
from metrics.registry import metric
from metrics.summaries import Quantile


def _live_latency(calls: Frame) -> pl.LazyFrame:
    frame = conform(calls, CALLS, ["case_id", "latency_ms", "cached", "attempts"], "calls")
    live = (pl.col("attempts").fill_null(0) > 0) & ~pl.col("cached").fill_null(False)
    return frame.select(
        "case_id",
        x=pl.when(live).then(pl.col("latency_ms")),
        n=(live & pl.col("latency_ms").is_not_null()).cast(pl.Int64),
    )


@metric(
    "latency_p50_ms",
    label="Latency p50",
    direction="lower",
    meaning="median time to answer one case with a live call, retries included",
    unit="ms",
    section="service",
    summary=Quantile(0.5),
    needs=("calls",),
)
def latency_p50_counts(calls: Frame) -> pl.LazyFrame:
    """Per live call: x = its latency in ms, n = 1."""
    return _live_latency(calls)


@metric(
    "latency_p95_ms",
    label="Latency p95",
    direction="lower",
    meaning="time within which 95% of live calls answered, retries included",
    unit="ms",
    section="service",
    summary=Quantile(0.95),
    needs=("calls",),
)
def latency_p95_counts(calls: Frame) -> pl.LazyFrame:
    """Per live call: x = its latency in ms, n = 1."""
    return _live_latency(calls)
