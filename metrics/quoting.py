"""Whether a citation quotes its source: the shared first step of every citation metric.

Kept apart from the citation metrics so `metrics.registry.gather_inputs` can prepare citations
once without importing the metrics that register themselves with it (no import cycle).
"""

from __future__ import annotations

import polars as pl

from metrics._frames import CITATIONS, SOURCES, Frame, as_lazy, collect, conform
from metrics._keys import CASE, SOURCE, case_key, source_key


def _quoted() -> pl.Expr:
    start, end, text = pl.col("start"), pl.col("end"), pl.col("text")
    in_range = (start >= 0) & (end > start) & (end <= text.str.len_chars())
    # Clipped so a malformed span is judged invalid instead of failing the slice.
    quoted = text.str.slice(start.clip(0), (end - start).clip(0)) == pl.col("cited_text")
    return (in_range & quoted).fill_null(False)


def keyed_sources(sources: Frame) -> pl.DataFrame:
    """Sources with their join keys, one row per source id within a case (the first where an
    id repeats, so a repeated id cannot count a citation twice). `gather_inputs` prepares this
    once for all the citation metrics; the metrics accept raw or prepared sources."""
    srcs = conform(sources, SOURCES, ["case_id", "source_id", "text"], "sources")
    keyed = collect(srcs.with_columns(case_key(), source_key()))
    if keyed.get_column(SOURCE).n_unique() == keyed.height:
        return keyed
    return keyed.unique(SOURCE, keep="first", maintain_order=True)


def _keyed_sources(sources: Frame) -> pl.LazyFrame:
    frame = as_lazy(sources, "sources")
    if SOURCE in frame.collect_schema():
        return frame
    return keyed_sources(sources).lazy()


def check_citations(citations: Frame, sources: Frame) -> pl.DataFrame:
    """Keyed citations (`_case, _source, claim, start, end, valid`), in no particular order:
    the shared first step of every citation metric, done once per `count_all`."""
    cites = conform(citations, CITATIONS, list(CITATIONS), "citations")
    keyed = cites.with_columns(case_key(), source_key())
    text = _keyed_sources(sources).select(SOURCE, "text")
    checked = keyed.join(text, on=SOURCE, how="left")
    return collect(checked.select(CASE, SOURCE, "claim", "start", "end", valid=_quoted()))


def validate_citations(citations: Frame, sources: Frame) -> pl.DataFrame:
    """`citations` in their order with a bool `valid` column: the source's `text[start:end]`
    equals `cited_text`. An unknown source, an empty span or offsets outside the text are
    invalid (a span that quotes nothing supports nothing)."""
    cites = conform(citations, CITATIONS, list(CITATIONS), "citations")
    valid = collect(
        cites.with_columns(source_key())
        .join(
            _keyed_sources(sources).select(SOURCE, "text"),
            on=SOURCE,
            how="left",
            maintain_order="left",
        )
        .select(valid=_quoted())
    )
    original = collect(as_lazy(citations, "citations"))
    return original.with_columns(collect(cites).get_columns()).with_columns(valid.to_series())
