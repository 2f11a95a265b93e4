"""Wilson score intervals: honest at small n and near 0 or 1, where the normal interval is not.

`wilson_bounds` is the formula, element-wise over numpy arrays (the sample-size planner judges
every possible count at once); `wilson` is the same code for a single count, so a run's verdict
and the planner's figures agree to the last bit. `wilson_exprs` is the formula again inside a
polars aggregation (per tag, per metric) without a Python loop. `clopper_pearson_bounds` is the
exact interval, offered to planners whose rule uses it (the acceptance bar uses Wilson).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile, to full precision so figures match statsmodels."""


def wilson_bounds(k: Any, n: Any, z: float = Z95) -> tuple[Any, Any]:
    """Wilson bounds for k successes in n trials, element-wise (no continuity correction).

    k and n are ints or integer arrays with 0 ≤ k ≤ n and n > 0 (callers check)."""
    k = np.asarray(k)
    n = np.asarray(n)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At k = 0 or k = n the bound is exactly 0 or 1; rounding must not move it off p.
    low = np.where(k == 0, 0.0, np.minimum(p, centre - half))
    high = np.where(k == n, 1.0, np.maximum(p, centre + half))
    return low, high


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson interval for k successes in n trials (no continuity correction)."""
    if n <= 0:
        raise ValueError(f"a Wilson interval needs n > 0 trials, got n={n}")
    if not 0 <= k <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got k={k}")
    low, high = wilson_bounds(k, n, z)
    return float(low), float(high)


def clopper_pearson_bounds(k: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """The exact (Clopper–Pearson) interval, element-wise: beta quantiles, 0 at k = 0 and 1 at
    k = n. Conservative: it covers at least `confidence` at every rate."""
    from scipy.special import betaincinv

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k == 0, 0.0, betaincinv(np.maximum(k, 1), n - k + 1, tail))
        high = np.where(k == n, 1.0, betaincinv(k + 1, np.maximum(n - k, 1), 1 - tail))
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
