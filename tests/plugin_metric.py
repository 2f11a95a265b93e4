"""A metric added in one file, as a team would add its own: the share of answers that run long.

Registering it is the whole change: the bar editor, the verdict, the charts, per-tag slices,
`pilot run --json` and the Results page all pick it up from the registration.
"""

from __future__ import annotations

import polars as pl

from metrics.frames import RESULTS, Frame, conform
from metrics.registry import metric

LONG = 50
"""Characters beyond which an answer counts as long."""


@metric(
    "long_answer_rate",
    label="Long answers",
    direction="lower",
    meaning=f"share of answered cases whose answer runs past {LONG} characters",
)
def long_answer_rate_counts(results: Frame) -> pl.LazyFrame:
    """Per answered case: k = 1 when the answer is longer than LONG characters."""
    frame = conform(results, RESULTS, ["case_id", "answer", "abstained", "error"], "results")
    answered = ~pl.col("abstained").fill_null(False) & pl.col("error").is_null()
    long = pl.col("answer").fill_null("").str.len_chars() > LONG
    return frame.select("case_id", k=(answered & long).cast(pl.Int64), n=answered.cast(pl.Int64))
