"""Citation metrics: are the quoted spans real, does every claim carry one, do they hit the gold?

Offsets are Python `str` character offsets, so anyone can check `text[start:end] == cited_text`.
polars' `str.slice` and `str.len_chars` count characters, which matches; `str.find` returns
*byte* offsets, which match only in ASCII text, so evidence in other text is located by
splitting at the first occurrence and counting the characters before it.
"""

from __future__ import annotations

import polars as pl

from metrics._frames import (
    CLAIMS,
    EVIDENCE,
    RESULTS,
    Frame,
    collect,
    conform,
)
from metrics._keys import CASE, SOURCE, among, case_key
from metrics.estimate import Estimate
from metrics.quoting import _keyed_sources, check_citations
from metrics.quoting import keyed_sources as keyed_sources
from metrics.quoting import validate_citations as validate_citations
from metrics.registry import metric


def evidence_spans(evidence: Frame, sources: Frame) -> pl.DataFrame:
    """Where each gold evidence string first occurs in each source of its case:
    `case_id, source_id, ev_start, ev_end` (character offsets; sources without it omitted)."""
    spans = _spans(evidence, _keyed_sources(sources))
    return collect(spans.select("case_id", "source_id", "ev_start", "ev_end"))


def _spans(evidence: Frame, sources: pl.LazyFrame) -> pl.LazyFrame:
    """Evidence located in keyed sources: the sources' columns plus `ev_start, ev_end`."""
    gold = conform(evidence, EVIDENCE, ["case_id", "text"], "evidence")
    gold = gold.filter(pl.col("text").str.len_chars() > 0)
    pairs = gold.select(case_key(), evidence="text").join(sources, on=CASE)
    text, wanted = pl.col("text"), pl.col("evidence")
    ascii_text = text.str.len_bytes() == text.str.len_chars()
    # In ASCII text a byte offset is a character offset; elsewhere count characters before it.
    before = text.str.splitn(wanted, 2).struct.field("field_0").str.len_chars()
    start = pl.when(ascii_text).then(pl.col("at")).otherwise(before).cast(pl.Int64)
    return (
        pairs.with_columns(at=text.str.find(wanted, literal=True))
        .filter(pl.col("at").is_not_null())
        .with_columns(ev_start=start)
        .with_columns(ev_end=pl.col("ev_start") + wanted.str.len_chars().cast(pl.Int64))
        .drop("at", "text")
    )


@metric(
    "citation_precision",
    label="Citation precision",
    direction="higher",
    meaning="share of citations found word for word in the cited document",
    population="answerable",
    section="citations",
    needs=("results", "checked_citations"),
    per_case=False,
)
def citation_precision_counts(results: Frame, checked_citations: pl.LazyFrame) -> pl.LazyFrame:
    """Per case: k valid citations of n citations (the unit is the citation, not the case).
    Citations of cases not in `results` belong to another run and are ignored."""
    per_case = checked_citations.group_by(CASE).agg(
        k=pl.col("valid").sum().cast(pl.Int64), n=pl.len().cast(pl.Int64)
    )
    frame = conform(results, RESULTS, ["case_id"], "results").with_columns(case_key())
    return frame.join(per_case, on=CASE, how="left", maintain_order="left").select(
        "case_id", pl.col("k", "n").fill_null(0)
    )


@metric(
    "citation_coverage",
    label="Citation coverage",
    direction="higher",
    meaning="share of answers whose every sentence carries a valid citation",
    population="answerable",
    section="citations",
    needs=("results", "checked_citations", "claims"),
)
def citation_coverage_counts(
    results: Frame, checked_citations: pl.LazyFrame, claims: Frame
) -> pl.LazyFrame:
    """Per answered case: k = 1 when every claim has a valid citation. A case with no claims
    rows is uncovered: an answer that states nothing checkable has not been supported."""
    claim_rows = conform(claims, CLAIMS, ["case_id", "claim"], "claims").select(case_key(), "claim")
    supported = checked_citations.filter(pl.col("valid")).select(CASE, "claim")
    unsupported = claim_rows.join(supported, on=[CASE, "claim"], how="anti")
    frame = conform(results, RESULTS, ["case_id", "abstained", "error"], "results")
    answered = ~pl.col("abstained").fill_null(False) & pl.col("error").is_null()
    covered = among(claim_rows) & ~among(unsupported)
    return frame.with_columns(case_key()).select(
        "case_id",
        k=(answered & covered).cast(pl.Int64),
        n=answered.cast(pl.Int64),
    )


@metric(
    "evidence_recall",
    label="Evidence recall",
    direction="higher",
    meaning="share of answers whose citations hit the agreed evidence",
    population="answerable",
    section="citations",
    needs=("results", "checked_citations", "sources", "evidence"),
)
def evidence_recall_counts(
    results: Frame, checked_citations: pl.LazyFrame, sources: Frame, evidence: Frame
) -> pl.LazyFrame:
    """Per answerable case with gold evidence: k = 1 when a valid citation's [start, end)
    overlaps a gold span in the same source. A failed case never counts as a hit."""
    gold = conform(evidence, EVIDENCE, ["case_id", "text"], "evidence")
    gold = gold.filter(pl.col("text").str.len_chars() > 0)
    passages = gold.select(
        case_key(), evidence="text", ev_len=pl.col("text").str.len_chars().cast(pl.Int64)
    )
    # A citation [start, end) overlaps an occurrence of a passage of length L at p exactly when
    # p < end and p + L > start, i.e. when the passage occurs inside the window
    # text[start - L + 1 : end + L - 1]. Checking the window counts every occurrence, not
    # only the first.
    window_start = pl.max_horizontal(pl.col("start") - pl.col("ev_len") + 1, pl.lit(0))
    window_len = pl.col("end") + pl.col("ev_len") - 1 - window_start
    hits = (
        checked_citations.filter(pl.col("valid"))
        .select(CASE, SOURCE, "start", "end")
        .join(passages, on=CASE)
        .join(_keyed_sources(sources).select(SOURCE, "text"), on=SOURCE)
        .filter(
            pl.col("text")
            .str.slice(window_start, window_len)
            .str.contains(pl.col("evidence"), literal=True)
        )
    )
    gold = gold.select(case_key())
    frame = conform(results, RESULTS, ["case_id", "answerable", "error"], "results")
    eligible = pl.col("answerable").fill_null(False) & among(gold)
    return frame.with_columns(case_key()).select(
        "case_id",
        k=(eligible & among(hits) & pl.col("error").is_null()).cast(pl.Int64),
        n=eligible.cast(pl.Int64),
    )


def citation_precision(citations: Frame, sources: Frame, results: Frame | None = None) -> Estimate:
    """Valid citations / all citations (of `results`' cases, when given), with a Wilson
    interval over citations."""
    checked = check_citations(citations, sources)
    if results is None:
        k = int(checked.get_column("valid").sum())
        return Estimate.from_counts("citation_precision", k, checked.height)
    counts = citation_precision_counts(results, checked.lazy())
    return Estimate.from_frame("citation_precision", collect(counts))


def citation_coverage(results: Frame, citations: Frame, claims: Frame, sources: Frame) -> Estimate:
    """Answered cases whose every claim carries a valid citation / answered cases."""
    checked = check_citations(citations, sources).lazy()
    counts = citation_coverage_counts(results, checked, claims)
    return Estimate.from_frame("citation_coverage", collect(counts))


def evidence_recall(results: Frame, citations: Frame, sources: Frame, evidence: Frame) -> Estimate:
    """Answerable cases with gold evidence that a valid citation overlaps / such cases."""
    checked = check_citations(citations, sources).lazy()
    counts = evidence_recall_counts(results, checked, sources, evidence)
    return Estimate.from_frame("evidence_recall", collect(counts))
