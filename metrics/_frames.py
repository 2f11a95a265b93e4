"""Column contracts for the frames the runner produces, checked at each metric's door.

Each metric checks and selects only the columns it reads, so a metric works on a partial frame
and a wrong frame fails with a message naming the missing column rather than deep in a join.
Zero-row frames often arrive with null-typed columns; casting to the contract lets an empty run
compute to n=0 instead of failing on dtype. Frames are handled lazily, so a metric reads only
the columns it needs, and plans are collected on polars' streaming engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

ENGINE = "streaming"
"""polars engine for collecting metric plans: about twice as fast on string-keyed joins and
group-bys as the in-memory engine on this project's two-core machines."""

RESULTS: Mapping[str, pl.DataType] = {
    "case_id": pl.String(),
    "answer": pl.String(),
    "abstained": pl.Boolean(),
    "correct": pl.Boolean(),
    "error": pl.String(),
    "answerable": pl.Boolean(),
    "expected_answer": pl.String(),
    "tags": pl.List(pl.String()),
    "consequential": pl.Boolean(),
}
CITATIONS: Mapping[str, pl.DataType] = {
    "case_id": pl.String(),
    "claim": pl.Int64(),
    "source_id": pl.String(),
    "cited_text": pl.String(),
    "start": pl.Int64(),
    "end": pl.Int64(),
}
CLAIMS: Mapping[str, pl.DataType] = {
    "case_id": pl.String(),
    "claim": pl.Int64(),
    "text": pl.String(),
}
SOURCES: Mapping[str, pl.DataType] = {
    "case_id": pl.String(),
    "source_id": pl.String(),
    "text": pl.String(),
}
EVIDENCE: Mapping[str, pl.DataType] = {"case_id": pl.String(), "text": pl.String()}
CALLS: Mapping[str, pl.DataType] = {
    "case_id": pl.String(),
    "latency_ms": pl.Float64(),
    "cached": pl.Boolean(),
    "attempts": pl.Int64(),
    "model": pl.String(),
    "cost_usd": pl.Float64(),
}
"""One row per case the system was asked about: wall time of the case (retries included), whether
the answer came from the response cache, calls made (0: never called), the model that answered,
and the cost of its recorded usage (null where the model's price is unknown)."""

Frame = pl.DataFrame | pl.LazyFrame


def as_lazy(data: Any, what: str) -> pl.LazyFrame:
    """A LazyFrame over `data`: a polars frame, or a DuckDB relation (via `.pl()`)."""
    if isinstance(data, pl.LazyFrame):
        return data
    if isinstance(data, pl.DataFrame):
        return data.lazy()
    if hasattr(data, "pl"):
        return data.pl().lazy()
    raise TypeError(f"{what} must be a polars DataFrame, got {type(data).__name__}")


def conform(
    data: Any,
    contract: Mapping[str, pl.DataType],
    columns: Sequence[str],
    what: str,
) -> pl.LazyFrame:
    """`columns` of `data`, cast to the contract, as a LazyFrame."""
    frame = as_lazy(data, what)
    schema = frame.collect_schema()
    missing = [c for c in columns if c not in schema]
    if missing:
        raise ValueError(
            f"{what} frame is missing column(s) {', '.join(missing)}; "
            f"it needs {', '.join(columns)} (has {', '.join(schema.names()) or 'no columns'})"
        )
    casts = [pl.col(c).cast(contract[c]) for c in columns if schema[c] != contract[c]]
    selected = frame.select(columns)
    return selected.with_columns(casts) if casts else selected


def collect(frame: pl.LazyFrame) -> pl.DataFrame:
    """Run a metric plan on the engine chosen above."""
    return frame.collect(engine=ENGINE)
