"""Wilson score intervals: honest at small n and near 0 or 1, where the normal interval is not.

Two forms share one formula: `wilson` for a single count, `wilson_exprs` for many at once inside
a polars aggregation (per tag, per metric) without a Python loop.
"""

from __future__ import annotations

import math

import polars as pl

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile, to full precision so figures match statsmodels."""


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson interval for k successes in n trials (no continuity correction)."""
    if n <= 0:
        raise ValueError(f"a Wilson interval needs n > 0 trials, got n={n}")
    if not 0 <= k <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got k={k}")
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At k = 0 or k = n the bound is exactly 0 or 1; rounding must not move it off p.
    low = 0.0 if k == 0 else min(p, centre - half)
    high = 1.0 if k == n else max(p, centre + half)
    return low, high


def wilson_exprs(k: pl.Expr | str, n: pl.Expr | str, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """`(low, high)` expressions named "low" and "high"; null where n == 0."""
    k_ = pl.col(k) if isinstance(k, str) else k
    n_ = pl.col(n) if isinstance(n, str) else n
    kf, nf = k_.cast(pl.Float64), n_.cast(pl.Float64)
    z2 = z * z
    p = kf / nf
    denom = 1 + z2 / nf
    centre = (p + z2 / (2 * nf)) / denom
    half = z * (p * (1 - p) / nf + z2 / (4 * nf * nf)).sqrt() / denom
    valid = n_ > 0
    low = pl.when(k_ == 0).then(0.0).otherwise(pl.min_horizontal(p, centre - half))
    high = pl.when(k_ == n_).then(1.0).otherwise(pl.max_horizontal(p, centre + half))
    return pl.when(valid).then(low).alias("low"), pl.when(valid).then(high).alias("high")
