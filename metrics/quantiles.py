"""Percentiles with a distribution-free confidence interval from order statistics.

The q-quantile ξ of any continuous distribution lies below the r-th smallest of n draws with
probability P(Binomial(n, q) ≥ r), whatever the distribution (Hahn & Meeker, Statistical
Intervals, §5.2). So the 95% interval runs from the l-th to the u-th smallest value, with l the
largest rank whose lower tail B(l − 1) ≤ 2.5% and u the smallest with B(u − 1) ≥ 97.5%; each end
holds at least 97.5% on its own, so the interval covers ξ at least 95% of the time. When n is too
small for such a rank to exist (a p95 needs 72 values for an upper bound: 0.95⁷² ≤ 2.5%), that
end is None: no honest bound exists, and the n is shown instead. The point value is the linear
interpolation numpy's `percentile` uses by default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ALPHA = 0.05


def order_statistic_ranks(n: int, q: float, alpha: float = ALPHA) -> tuple[int | None, int | None]:
    """1-based ranks (l, u) of the order statistics bounding the q-quantile at 1 − alpha
    (None where no rank achieves its tail)."""
    if not 0.0 < q < 1.0:  # refused with or without values: a wrong q is wrong either way
        raise ValueError(f"a quantile's q must be strictly between 0 and 1, got {q}")
    if n <= 0:
        return None, None
    tail = alpha / 2
    # The binomial mass lies within ~12 standard deviations of nq; outside it is below 1e-30,
    # far under the 2.5% tails compared here, so the sum can start there.
    sd = math.sqrt(n * q * (1 - q))
    start = max(0, math.floor(n * q - 12 * sd - 2))
    stop = min(n, math.ceil(n * q + 12 * sd + 2))
    log_pmf = (
        math.lgamma(n + 1)
        - math.lgamma(start + 1)
        - math.lgamma(n - start + 1)
        + start * math.log(q)
        + (n - start) * math.log1p(-q)
    )
    pmf = math.exp(log_pmf)
    ratio = q / (1 - q)
    cdf = 0.0
    low: int | None = None
    high: int | None = None
    for k in range(start, stop + 1):
        cdf += pmf  # cdf = B(k) = P(X ≤ k)
        if cdf <= tail:
            low = k + 1  # B(l − 1) ≤ tail with l − 1 = k
        if high is None and cdf >= 1 - tail:
            high = k + 1  # B(u − 1) ≥ 1 − tail with u − 1 = k
        pmf *= (n - k) / (k + 1) * ratio
    if low is None and start > 0:
        low = start  # the whole window sits above the lower tail: B(start − 1) ≈ 0
    if high is not None and high > n:
        high = None
    return (low if low is not None and low >= 1 else None), high


def quantile_interval(
    sorted_values: Sequence[float], q: float, alpha: float = ALPHA
) -> tuple[float | None, float | None]:
    """The order-statistic interval for the q-quantile of `sorted_values` (ascending)."""
    low, high = order_statistic_ranks(len(sorted_values), q, alpha)
    return (
        None if low is None else sorted_values[low - 1],
        None if high is None else sorted_values[high - 1],
    )
