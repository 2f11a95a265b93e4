"""Abstention: how often the system declines, on cases it should and should not decline.

A failed call is not a decision to abstain, so a case with an error never counts as an
abstention; it still counts in the denominator, because it is a case the system got wrong.
"""

from __future__ import annotations

import polars as pl

from metrics._frames import RESULTS, Frame, collect, conform
from metrics.estimate import Estimate
from metrics.registry import metric

_COLUMNS = ["case_id", "abstained", "error", "answerable"]


def _abstained_on(results: Frame, answerable: bool) -> pl.LazyFrame:
    frame = conform(results, RESULTS, _COLUMNS, "results")
    applies = (pl.col("answerable") == answerable).fill_null(False)
    abstained = pl.col("abstained").fill_null(False) & pl.col("error").is_null()
    return frame.select(
        "case_id",
        k=(applies & abstained).cast(pl.Int64),
        n=applies.cast(pl.Int64),
    )


@metric(
    "abstain_rate_unanswerable",
    label="Abstain rate",
    direction="higher",
    meaning="share of unanswerable questions the system declined",
    population="unanswerable",
    section="abstention",
)
def abstain_rate_unanswerable_counts(results: Frame) -> pl.LazyFrame:
    """Per unanswerable case: k = 1 when the system abstained (the right behaviour)."""
    return _abstained_on(results, answerable=False)


@metric(
    "false_abstain_rate",
    label="False-abstain rate",
    direction="lower",
    meaning="share of answerable questions the system wrongly declined",
    population="answerable",
    section="abstention",
)
def false_abstain_rate_counts(results: Frame) -> pl.LazyFrame:
    """Per answerable case: k = 1 when the system abstained (a missed answer)."""
    return _abstained_on(results, answerable=True)


def abstain_rate_unanswerable(results: Frame) -> Estimate:
    """Share of unanswerable cases the system abstained on; higher is better."""
    counts = collect(abstain_rate_unanswerable_counts(results))
    return Estimate.from_frame("abstain_rate_unanswerable", counts)


def false_abstain_rate(results: Frame) -> Estimate:
    """Share of answerable cases the system abstained on; lower is better."""
    return Estimate.from_frame("false_abstain_rate", collect(false_abstain_rate_counts(results)))
