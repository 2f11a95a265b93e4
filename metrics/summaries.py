"""How a metric's per-case counts become one estimate: a proportion, a percentile or a mean.

A proportion's counts are `k` successes of `n` units per case, summed and given a Wilson
interval. A value metric's counts are one value `x` per case that counts (`n` = 1), with an
optional `unknown` reason where the value cannot be known (a cost with no price); any unknown
value makes the whole estimate unknown, because a mean or percentile that skips the cases it
cannot price would flatter the system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import polars as pl

from metrics.estimate import Estimate
from metrics.quantiles import quantile_interval


class Summary(Protocol):
    kind: str
    interval: str | None
    """How the 95% interval is made, for docs and pages; None when the metric has none."""

    def estimate(self, name: str, counts: pl.DataFrame) -> Estimate: ...


@dataclass(frozen=True)
class Proportion:
    kind: str = "proportion"
    interval: str | None = "Wilson score"

    def estimate(self, name: str, counts: pl.DataFrame) -> Estimate:
        return Estimate.from_frame(name, counts)


def _counted(name: str, counts: pl.DataFrame) -> tuple[pl.Series, int, Estimate | None]:
    """The values of the cases that count, their n, and the unknown estimate if any is unknown."""
    counted = counts.filter(pl.col("n") > 0)
    n = counted.height
    if "unknown" in counted.columns:
        reasons = counted.get_column("unknown").drop_nulls()
        if reasons.len():
            listed = "; ".join(sorted(reasons.unique().to_list()))
            why = f"{reasons.len()} of {n} cases: {listed}"
            return counted.get_column("x"), n, Estimate(name, None, None, None, n, unknown=why)
    return counted.get_column("x").cast(pl.Float64), n, None


@dataclass(frozen=True)
class Quantile:
    """The q-quantile (numpy's linear percentile) with a distribution-free order-statistic
    interval; an end is None where n is too small for that bound to exist."""

    q: float
    kind: str = "quantile"
    interval: str | None = "order statistics (distribution-free)"

    def estimate(self, name: str, counts: pl.DataFrame) -> Estimate:
        values, n, unknown = _counted(name, counts)
        if unknown is not None:
            return unknown
        if n == 0:
            return Estimate.missing(name)
        ordered = values.sort()
        # numpy's default (linear) percentile, read from the values already sorted
        position = self.q * (n - 1)
        below = int(position)
        above = min(below + 1, n - 1)
        value = ordered[below] + (ordered[above] - ordered[below]) * (position - below)
        low, high = quantile_interval(ordered, self.q)
        return Estimate(name, value, low, high, n)


@dataclass(frozen=True)
class Mean:
    """The mean of the values, with no interval: n is shown instead."""

    kind: str = "mean"
    interval: str | None = None

    def estimate(self, name: str, counts: pl.DataFrame) -> Estimate:
        values, n, unknown = _counted(name, counts)
        if unknown is not None:
            return unknown
        if n == 0:
            return Estimate.missing(name)
        return Estimate(name, float(values.mean()), None, None, n)  # type: ignore[arg-type]


PROPORTION = Proportion()
