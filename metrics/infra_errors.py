"""Infrastructure error rate: the share of cases the system failed to answer at all.

A case fails when no answer was stored for it, only an error: a call that still failed after
its retries, a timeout, a refused request, a callable system's exception, or a replayed case
missing from the response cache. Such cases also count against accuracy; this rate says how
much of a shortfall is the service rather than the answers.
"""

from __future__ import annotations

import polars as pl

from metrics._frames import RESULTS, Frame, conform
from metrics.registry import metric


@metric(
    "infra_error_rate",
    label="Infrastructure error rate",
    direction="lower",
    meaning="share of cases with no answer because the call failed",
    section="service",
)
def infra_error_rate_counts(results: Frame) -> pl.LazyFrame:
    """Per case: k = 1 when its call failed, n = 1."""
    frame = conform(results, RESULTS, ["case_id", "error"], "results")
    return frame.select(
        "case_id", k=pl.col("error").is_not_null().cast(pl.Int64), n=pl.lit(1, pl.Int64)
    )
