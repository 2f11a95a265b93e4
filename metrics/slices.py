"""Per-tag slices: the same registered metrics, grouped by golden-set tag.

An overall figure can hide a tag the system cannot handle ("numeric", "ugly"); the acceptance
bar can hold a criterion per tag, so every metric is sliced the same way, from the same per-case
counts, in one group-by over the exploded tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import polars as pl

from metrics._frames import RESULTS, collect, conform
from metrics.intervals import Z95, wilson_exprs
from metrics.registry import METRICS, count_all

SCHEMA: Mapping[str, pl.DataType] = {
    "tag": pl.String(),
    "metric": pl.String(),
    "value": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "n": pl.Int64(),
    "k": pl.Int64(),
}


def per_tag(
    results: pl.DataFrame,
    citations: pl.DataFrame | None = None,
    claims: pl.DataFrame | None = None,
    sources: pl.DataFrame | None = None,
    evidence: pl.DataFrame | None = None,
    *,
    names: tuple[str, ...] = METRICS,
    counts: Mapping[str, pl.DataFrame | None] | None = None,
    z: float = Z95,
) -> pl.DataFrame:
    """One row per tag and computable metric: tag, metric, value, low, high, n, k.

    Every tag gets a row for every metric whose inputs were given (n=0 and null value where no
    case of the tag applies), sorted by tag, then metrics in `names` order. Pass `counts` from
    `count_all` to reuse the work already done for `compute_all`.
    """
    if counts is None:
        counts = count_all(results, citations, claims, sources, evidence, names)
    present = [name for name in names if counts.get(name) is not None]
    tags = collect(conform(results, RESULTS, ["tags"], "results")).get_column("tags")
    if not present or tags.is_empty():
        return pl.DataFrame(schema=dict(SCHEMA))
    if (tags.list.n_unique() != tags.list.len()).any():
        tags = tags.list.unique()  # a tag listed twice must not count its case twice
    columns: dict[str, pl.Series] = {"tag": tags}
    for i, name in enumerate(present):
        frame = cast(pl.DataFrame, counts[name])
        columns[f"k{i}"] = frame.get_column("k")
        columns[f"n{i}"] = frame.get_column("n")
    exploded = pl.LazyFrame(columns).explode("tag").drop_nulls("tag")
    sums = collect(exploded.group_by("tag").agg(pl.all().sum()))
    long = pl.concat(
        [
            sums.select("tag", metric=pl.lit(name), order=pl.lit(i), k=f"k{i}", n=f"n{i}")
            for i, name in enumerate(present)
        ]
    )
    low, high = wilson_exprs("k", "n", z)
    return long.sort("tag", "order").select(
        "tag",
        "metric",
        value=pl.when(pl.col("n") > 0).then(pl.col("k") / pl.col("n")),
        low=low,
        high=high,
        n=pl.col("n").cast(pl.Int64),
        k=pl.col("k").cast(pl.Int64),
    )
