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
    values = [_values(tags, name, cast(pl.DataFrame, counts[name])) for name in present]
    rows = pl.concat([rows, *[v for v in values if v is not None]], how="diagonal_relaxed")
    order = {name: i for i, name in enumerate(present)}
    return (
        rows.with_columns(order=pl.col("metric").replace_strict(order, return_dtype=pl.Int64))
        .sort("tag", "order")
        .select(list(SCHEMA))
        .cast(dict(SCHEMA))
    )


def _values(tags: pl.Series, name: str, counts: pl.DataFrame) -> pl.DataFrame | None:
    """Per tag, one value metric's estimate (None for a proportion: summed elsewhere)."""
    spec = get_metric(name)
    if spec.proportion:
        return None
    exploded = counts.with_columns(tag=tags).explode("tag").drop_nulls("tag")
    records = []
    for (tag,), part in sorted(exploded.partition_by("tag", as_dict=True).items()):
        e = spec.estimate(part)
        records.append(
            {"tag": tag, "metric": name, "value": e.value, "low": e.low, "high": e.high, "n": e.n}
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
