"""Accuracy: correct cases over all cases, errors and unjudged cases counting as incorrect.

Counting unjudged (`correct` null) and failed cases against the system keeps the figure from
flattering a run that crashed or was never graded.
"""

from __future__ import annotations

import polars as pl

from metrics._frames import RESULTS, Frame, collect, conform
from metrics.estimate import Estimate
from metrics.registry import metric


@metric(
    "accuracy",
    label="Accuracy",
    direction="higher",
    meaning="share of questions answered correctly",
    section="answers",
)
def accuracy_counts(results: Frame) -> pl.LazyFrame:
    """Per case: k = 1 when judged correct without error, n = 1."""
    frame = conform(results, RESULTS, ["case_id", "correct", "error"], "results")
    return frame.select(
        "case_id",
        k=(pl.col("correct").fill_null(False) & pl.col("error").is_null()).cast(pl.Int64),
        n=pl.lit(1, pl.Int64),
    )


def accuracy(results: Frame) -> Estimate:
    """Accuracy with a 95% Wilson interval."""
    return Estimate.from_frame("accuracy", collect(accuracy_counts(results)))
