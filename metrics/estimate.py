"""The one shape every metric reports: a point value, its 95% interval and its n."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from metrics.intervals import Z95, wilson


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval and n; every field but `n` is None when n == 0, so an
    empty slice reads as "no evidence" rather than as 0%. `unknown` says why a value that
    should exist cannot be known (a cost with no price): then `value` is None with n > 0.
    A bound is None where the metric gives no interval, or n is too small for one."""

    name: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    unknown: str | None = None

    def to_dict(self) -> dict[str, float | int | str | None]:
        """The `{value, low, high, n}` shape `pilot run --json` reports (plus `unknown`, only
        when the value is unknown)."""
        out: dict[str, float | int | str | None] = {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
        }
        if self.unknown is not None:
            out["unknown"] = self.unknown
        return out

    @classmethod
    def from_counts(cls, name: str, k: int, n: int, z: float = Z95) -> Estimate:
        if n == 0:
            return cls(name, None, None, None, 0)
        low, high = wilson(k, n, z)
        return cls(name, k / n, low, high, n)

    @classmethod
    def from_frame(cls, name: str, counts: pl.DataFrame, z: float = Z95) -> Estimate:
        """Sum a metric's per-case `k`/`n` counts into one estimate."""
        row = counts.select(pl.col("k").sum(), pl.col("n").sum()).row(0)
        return cls.from_counts(name, int(row[0] or 0), int(row[1] or 0), z)

    @classmethod
    def missing(cls, name: str) -> Estimate:
        """The estimate for a metric whose input frames were not given."""
        return cls(name, None, None, None, 0)
