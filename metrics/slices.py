"""Per-tag slices: the same registered metrics, grouped by golden-set tag.

An overall figure can hide a tag the system cannot handle ("numeric", "ugly"); the acceptance
bar can hold a criterion per tag, so every metric is sliced the same way, from the same per-case
counts, in one group-by over the exploded tags. A percentile or a mean is not a sum, so those
metrics are summarised tag by tag from the same exploded values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import polars as pl

from metrics._frames import RESULTS, collect, conform
from metrics.intervals import Z95, wilson_exprs
from metrics.registry import count_all, get_metric

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
    calls: pl.DataFrame | None = None,
    *,
    names: tuple[str, ...] | None = None,
    counts: Mapping[str, pl.DataFrame | None] | None = None,
    z: float = Z95,
) -> pl.DataFrame:
    """One row per tag and computable metric: tag, metric, value, low, high, n, k.

    Every tag gets a row for every metric whose inputs were given (n=0 and null value where no
    case of the tag applies), sorted by tag, then metrics in `names` order. Pass `counts` from
    `count_all` to reuse the work already done for `compute_all`. `k` is null for metrics that
    are not proportions.
    """
    if counts is None:
        counts = count_all(results, citations, claims, sources, evidence, calls, names)
    names = tuple(counts) if names is None else names
    present = [name for name in names if counts.get(name) is not None]
    tags = collect(conform(results, RESULTS, ["tags"], "results")).get_column("tags")
    if not present or tags.is_empty():
        return pl.DataFrame(schema=dict(SCHEMA))
    if (tags.list.n_unique() != tags.list.len()).any():
        tags = tags.list.unique()  # a tag listed twice must not count its case twice
    sums = [name for name in present if get_metric(name).proportion]
    rows = _proportions(tags, sums, counts, z) if sums else pl.DataFrame(schema=dict(SCHEMA))
    others = [name for name in present if not get_metric(name).proportion]
    if others:
        rows = pl.concat([rows, _values(tags, others, counts)], how="diagonal_relaxed")
    order = {name: i for i, name in enumerate(present)}
    return (
        rows.with_columns(order=pl.col("metric").replace_strict(order, return_dtype=pl.Int64))
        .sort("tag", "order")
        .select(list(SCHEMA))
        .cast(dict(SCHEMA))
    )


def _values(
    tags: pl.Series, names: list[str], counts: Mapping[str, pl.DataFrame | None]
) -> pl.DataFrame:
    """Per tag, each value metric's estimate (a percentile or a mean is not a sum): the tags
    are exploded and partitioned once for all of them."""
    columns: dict[str, pl.Series] = {"tag": tags}
    for i, name in enumerate(names):
        frame = cast(pl.DataFrame, counts[name])
        columns[f"x{i}"] = frame.get_column("x")
        columns[f"n{i}"] = frame.get_column("n")
        if "unknown" in frame.columns:
            columns[f"u{i}"] = frame.get_column("unknown")
    exploded = pl.DataFrame(columns).explode("tag").drop_nulls("tag")
    records = []
    for (tag,), part in sorted(exploded.partition_by("tag", as_dict=True).items()):
        for i, name in enumerate(names):
            own = {f"x{i}": "x", f"n{i}": "n", f"u{i}": "unknown"}
            e = get_metric(name).estimate(
                part.select([pl.col(c).alias(a) for c, a in own.items() if c in part.columns])
            )
            records.append(
                {
                    "tag": tag,
                    "metric": name,
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
            )
    return pl.DataFrame(records, schema={k: v for k, v in SCHEMA.items() if k != "k"})


def _proportions(
    tags: pl.Series,
    present: list[str],
    counts: Mapping[str, pl.DataFrame | None],
    z: float,
) -> pl.DataFrame:
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
    return long.select(
        "tag",
        "metric",
        value=pl.when(pl.col("n") > 0).then(pl.col("k") / pl.col("n")),
        low=low,
        high=high,
        n=pl.col("n").cast(pl.Int64),
        k=pl.col("k").cast(pl.Int64),
    )
