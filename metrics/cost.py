"""Cost per case: the mean list-price cost of the usage recorded for each answered case.

A case counts when the system gave an answer (or abstained) without error; an answer served from
the response cache counts at what it cost when it was made, so a cached re-run reports the
system's cost, not the re-run's. The price comes from the caller (`calls.cost_usd`, from usage
and a price table keyed by model id); a case whose model has no known price makes the figure
unknown, never 0. There is no interval: the spread that matters is the price table's, which is
not statistical, so n is shown instead.
"""

from __future__ import annotations

import polars as pl

from metrics._frames import CALLS, RESULTS, Frame, conform
from metrics.registry import metric
from metrics.summaries import Mean


@metric(
    "cost_per_case_usd",
    label="Cost per case",
    direction="lower",
    meaning="mean cost of the model usage behind each answered case, at list prices",
    unit="usd",
    section="service",
    summary=Mean(),
    needs=("results", "calls"),
)
def cost_per_case_counts(results: Frame, calls: Frame) -> pl.LazyFrame:
    """Per answered case: x = its cost in USD (null: unknown price, with the reason), n = 1.
    `calls` must be aligned with `results` row for row, as `gather_inputs` makes it."""
    answers = conform(results, RESULTS, ["case_id", "error"], "results")
    usage = conform(calls, CALLS, ["attempts", "model", "cost_usd"], "calls")
    # `calls` arrives aligned with `results`, row for row (`registry.gather_inputs`).
    joined = pl.concat([answers, usage], how="horizontal")
    counted = pl.col("error").is_null() & pl.col("attempts").is_not_null()
    model = pl.col("model").fill_null("(none recorded)")
    return joined.select(
        "case_id",
        x=pl.col("cost_usd"),
        n=counted.cast(pl.Int64),
        unknown=pl.when(counted & pl.col("cost_usd").is_null()).then(
            pl.lit("no price for model ") + model
        ),
    )
