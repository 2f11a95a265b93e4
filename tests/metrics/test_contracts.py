"""Every registered metric keeps the contract the registry relies on: a frame it lacks a column
of is named in the error, and its counts come back one row per results row, keyed by case_id in
results' order; each convenience function reports under its metric's name."""

from __future__ import annotations

import polars as pl
import pytest
from metric_frames import shared_run

from metrics import registered
from metrics._frames import CALLS, CLAIMS, conform
from metrics.citations import check_citations, keyed_sources

RAW = ("results", "claims", "sources", "evidence", "calls")


def calls() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": ["c1", "c2", "c3", "c4", "c5"],
            "latency_ms": [120.0, 80.0, None, 300.0, 50.0],
            "cached": [False, True, False, False, None],
            "attempts": [1, 1, 2, 0, None],
            "model": ["m", "m", None, "m", "m"],
            "cost_usd": [0.01, 0.02, None, 0.0, 0.03],
        },
        schema=dict(CALLS),
    )


def inputs() -> dict[str, pl.LazyFrame]:
    run = shared_run()
    sources = keyed_sources(run["sources"])
    return {
        "results": run["results"].lazy(),
        "claims": run["claims"].lazy(),
        "sources": sources.lazy(),
        "evidence": run["evidence"].lazy(),
        "calls": calls().lazy(),
        "checked_citations": check_citations(run["citations"], sources).lazy(),
    }


CASES = [(name, need) for name, spec in registered().items() for need in spec.needs if need in RAW]


@pytest.mark.parametrize(("name", "need"), CASES)
def test_a_frame_without_the_columns_a_metric_reads_is_named(name: str, need: str) -> None:
    spec = registered()[name]
    given = {n: inputs()[n] for n in spec.needs}
    given[need] = pl.LazyFrame({"unrelated": [1]})
    with pytest.raises(ValueError) as refused:
        spec.counts(**given)
    assert str(refused.value).startswith(f"{need} frame is missing column(s) ")
    assert str(refused.value).endswith("(has unrelated)")


@pytest.mark.parametrize("name", list(registered()))
def test_counts_are_one_row_per_result_keyed_by_case(name: str) -> None:
    spec = registered()[name]
    counts = spec.counts(**{n: inputs()[n] for n in spec.needs}).collect()
    assert counts.columns[0] == "case_id"
    assert counts["case_id"].to_list() == ["c1", "c2", "c3", "c4", "c5"]


def test_each_convenience_function_reports_under_its_metric_name() -> None:
    import metrics

    run = shared_run()
    estimates = {
        "accuracy": metrics.accuracy(run["results"]),
        "abstain_rate_unanswerable": metrics.abstain_rate_unanswerable(run["results"]),
        "false_abstain_rate": metrics.false_abstain_rate(run["results"]),
        "citation_precision": metrics.citation_precision(run["citations"], run["sources"]),
        "citation_coverage": metrics.citation_coverage(
            run["results"], run["citations"], run["claims"], run["sources"]
        ),
        "evidence_recall": metrics.evidence_recall(
            run["results"], run["citations"], run["sources"], run["evidence"]
        ),
    }
    assert {name: e.name for name, e in estimates.items()} == {n: n for n in estimates}


def test_conform_selects_the_columns_asked_cast_to_the_contract() -> None:
    data = pl.DataFrame(
        {"case_id": ["a", "b"], "claim": pl.Series([1, 2], dtype=pl.Int32), "extra": [1.0, 2.0]}
    )
    out = conform(data, CLAIMS, ["claim", "case_id"], "claims")
    assert isinstance(out, pl.LazyFrame)
    got = out.collect()
    assert got.schema == pl.Schema({"claim": pl.Int64(), "case_id": pl.String()})
    assert got.to_dicts() == [{"claim": 1, "case_id": "a"}, {"claim": 2, "case_id": "b"}]
    # A zero-row frame arrives with null-typed columns: it comes out typed as the contract.
    empty = pl.DataFrame({"case_id": [], "claim": [], "text": []})
    assert conform(empty, CLAIMS, list(CLAIMS), "claims").collect().schema == pl.Schema(CLAIMS)


def test_conform_names_what_is_missing_what_is_needed_and_what_the_frame_has() -> None:
    frame = pl.DataFrame({"case_id": ["a"], "note": ["x"]})
    with pytest.raises(ValueError) as refused:
        conform(frame, CLAIMS, ["case_id", "claim", "text"], "claims")
    assert str(refused.value) == (
        "claims frame is missing column(s) claim, text; "
        "it needs case_id, claim, text (has case_id, note)"
    )
    with pytest.raises(ValueError) as refused:
        conform(pl.DataFrame(), CLAIMS, ["case_id"], "claims")
    assert str(refused.value) == (
        "claims frame is missing column(s) case_id; it needs case_id (has no columns)"
    )
