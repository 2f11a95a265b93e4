"""Regression between two runs on the same golden set: which cases flipped, and does it matter?

Both runs answer the same cases, so the comparison is paired: McNemar's exact test on the
discordant cases, and a paired interval for the accuracy change. The interval is Newcombe's
square-and-add (hybrid score) method for paired proportions (Newcombe 1998, Statistics in
Medicine 17:2635, method 10): Wilson intervals for each run combined with the correlation of
the pair. Unlike the Wald interval it stays sensible at small n and at 0% or 100%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import polars as pl

from metrics._frames import Frame, collect
from metrics.estimate import Estimate
from metrics.intervals import Z95, wilson
from metrics.registry import get_metric, registered

_EXACT_UP_TO = 1000


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½)."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")
    n, m = b + c, min(b, c)
    if n == 0 or 2 * m >= n:
        return 1.0
    if n <= _EXACT_UP_TO:
        tail = Fraction(sum(math.comb(n, i) for i in range(m + 1)), 2**n)
        return min(1.0, float(2 * tail))
    # Large n: sum the lower tail downwards from m in log space until terms stop mattering.
    term = math.exp(
        math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1) - n * math.log(2)
    )
    total, i = 0.0, m
    while i >= 0 and term > 0.0:
        total += term
        if term < total * 1e-17:
            break
        term *= i / (n - i + 1)
        i -= 1
    return min(1.0, 2.0 * total)


def paired_difference_ci(
    both: int, only_first: int, only_second: int, neither: int, z: float = Z95
) -> tuple[float, float]:
    """Newcombe's interval for p_first − p_second from a paired 2×2 table of successes."""
    n = both + only_first + only_second + neither
    if n == 0:
        raise ValueError("a paired interval needs at least one paired case")
    first, second = both + only_first, both + only_second
    p1, p2 = first / n, second / n
    l1, u1 = wilson(first, n, z)
    l2, u2 = wilson(second, n, z)
    margins = first * (n - first) * second * (n - second)
    phi = 0.0
    if margins > 0:
        cross = both * neither - only_first * only_second
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(margins)
        elif cross < 0:
            phi = cross / math.sqrt(margins)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = d + math.sqrt(
        max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    )
    return max(-1.0, low), min(1.0, high)


@dataclass(frozen=True)
class Delta:
    """new − base for one metric over the paired cases, with Newcombe's paired interval."""

    name: str
    base: Estimate
    new: Estimate
    value: float | None
    low: float | None
    high: float | None
    n: int

    def to_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


@dataclass(frozen=True)
class RunComparison:
    """Per-case flips and their significance between a base run and a new run."""

    flips: pl.DataFrame
    n: int
    """Cases present in both runs."""
    b: int
    """Cases right in base and wrong in new (now_wrong)."""
    c: int
    """Cases wrong in base and right in new (now_right)."""
    base_only: int
    new_only: int
    p_value: float
    deltas: dict[str, Delta] = field(default_factory=dict)

    def significantly_worse(self, alpha: float = 0.05) -> bool:
        """More cases broke than were fixed, beyond what chance explains at level alpha."""
        return self.b > self.c and self.p_value < alpha

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "now_wrong": self.b,
            "now_right": self.c,
            "base_only": self.base_only,
            "new_only": self.new_only,
            "p_value": self.p_value,
            "deltas": {name: d.to_dict() for name, d in self.deltas.items()},
            "flips": self.flips.to_dicts(),
        }


def _paired_delta(name: str, base: pl.DataFrame, new: pl.DataFrame, z: float) -> Delta:
    paired = base.join(new, on="case_id", suffix="_new").filter(
        (pl.col("n") == 1) & (pl.col("n_new") == 1)
    )
    k, k_new = pl.col("k"), pl.col("k_new")
    a, only_new, only_base, neither = paired.select(
        (k * k_new).sum().alias("both"),
        ((1 - k) * k_new).sum().alias("only_new"),
        (k * (1 - k_new)).sum().alias("only_base"),
        ((1 - k) * (1 - k_new)).sum().alias("neither"),
    ).row(0)
    n = paired.height
    base_est = Estimate.from_counts(name, a + only_base, n, z)
    new_est = Estimate.from_counts(name, a + only_new, n, z)
    if n == 0:
        return Delta(name, base_est, new_est, None, None, None, 0)
    low, high = paired_difference_ci(a, only_new, only_base, neither, z)
    return Delta(name, base_est, new_est, (only_new - only_base) / n, low, high, n)


def compare_runs(base: Frame, new: Frame, z: float = Z95) -> RunComparison:
    """Pair two runs' results on case_id; unjudged or failed cases count as wrong, as in
    accuracy. Deltas cover every per-case proportion computable from results alone."""
    accuracy_counts = get_metric("accuracy").counts
    left = collect(accuracy_counts(base)).select("case_id", base_correct=pl.col("k") == 1)
    right = collect(accuracy_counts(new)).select("case_id", new_correct=pl.col("k") == 1)
    paired = left.join(right, on="case_id")
    flips = (
        paired.filter(pl.col("base_correct") != pl.col("new_correct"))
        .with_columns(
            direction=pl.when(pl.col("base_correct"))
            .then(pl.lit("now_wrong"))
            .otherwise(pl.lit("now_right"))
        )
        .sort("case_id")
    )
    b = flips.filter(pl.col("direction") == "now_wrong").height
    c = flips.height - b
    deltas = {}
    for name, spec in registered().items():
        if spec.proportion and spec.per_case and spec.needs == ("results",):
            deltas[name] = _paired_delta(
                name, collect(spec.counts(base)), collect(spec.counts(new)), z
            )
    return RunComparison(
        flips=flips,
        n=paired.height,
        b=b,
        c=c,
        base_only=left.join(right, on="case_id", how="anti").height,
        new_only=right.join(left, on="case_id", how="anti").height,
        p_value=mcnemar_exact(b, c),
        deltas=deltas,
    )
