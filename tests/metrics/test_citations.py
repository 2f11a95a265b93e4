from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from metric_frames import CITATIONS_SCHEMA, SMART, Builder, Frames

from metrics.citations import (
    citation_coverage,
    citation_precision,
    evidence_recall,
    evidence_spans,
    validate_citations,
)


def test_fixture_offsets_are_python_character_offsets() -> None:
    assert len(SMART) == 32
    assert SMART[1:8] == "Refunds"
    assert SMART[15:22] == "30 days"
    assert SMART[28:31] == "£12"
    # polars' str.find counts UTF-8 bytes: “ and ” are 3 bytes each, so bytes run 4 ahead.
    assert SMART.encode().find(b"30 days") == 19


def test_validate_citations_hand_worked(run: Frames) -> None:
    checked = validate_citations(run["citations"], run["sources"])
    assert checked.columns == [*run["citations"].columns, "valid"]
    assert (
        checked.get_column("case_id").to_list() == run["citations"].get_column("case_id").to_list()
    )
    assert checked.get_column("valid").to_list() == [
        True,  # "Refunds" at [1, 8)
        True,  # "30 days" at [15, 22)
        False,  # byte offsets [19, 26) quote "ays; fe"
        False,  # unknown source
        True,  # "£12" at [28, 31)
        False,  # empty span
        False,  # runs past the end
        True,  # another case's own source
    ]


def test_citation_precision_hand_worked(run: Frames) -> None:
    # 4 of 8 citations are valid → 0.5
    est = citation_precision(run["citations"], run["sources"])
    assert (est.name, est.value, est.n) == ("citation_precision", 0.5, 8)
    # restricted to a run's cases: only c2's single (valid) citation belongs to c2
    only_c2 = run["results"].filter(pl.col("case_id") == "c2")
    assert citation_precision(run["citations"], run["sources"], only_c2).to_dict()["n"] == 1


def test_citation_coverage_hand_worked(run: Frames) -> None:
    # answered: c1, c2, c3 (c4 abstained, c5 errored).
    # c1: claims 0, 1, 2 each have a valid citation → covered
    # c2: claim 1 has none → not covered; c3: no claims rows → not covered. 1/3.
    est = citation_coverage(run["results"], run["citations"], run["claims"], run["sources"])
    assert (est.value, est.n) == (pytest.approx(1 / 3), 3)


def test_invalid_citations_do_not_cover(run: Frames, citations: Builder) -> None:
    # c1 with only the byte-offset citation for claim 1 is no longer covered: 0/3.
    bad = citations(
        ("c1", 0, "s1", "Refunds", 1, 8),
        ("c1", 1, "s1", "30 days", 19, 26),
        ("c1", 2, "s1", "£12", 28, 31),
    )
    est = citation_coverage(run["results"], bad, run["claims"], run["sources"])
    assert est.value == 0.0


def test_evidence_recall_hand_worked(run: Frames) -> None:
    # answerable with gold evidence: c1, c2, c3, c4 (c5 is unanswerable).
    # c1: "30 days" at [15, 22) overlaps the valid citation [15, 22) → hit
    # c2: "text" at [6, 10) vs citation [0, 5) → miss; c3: "zzz" is in no source → miss
    # c4: abstained, no citations → miss. 1/4.
    est = evidence_recall(run["results"], run["citations"], run["sources"], run["evidence"])
    assert (est.value, est.n) == (0.25, 4)


def test_evidence_spans_use_character_offsets_and_first_occurrence(
    sources: Builder, evidence: Builder
) -> None:
    srcs = sources(("c1", "s1", SMART), ("c1", "s2", "£12 and £12"), ("c2", "s1", "fee fee"))
    gold = evidence(("c1", "£12"), ("c2", "fee"), ("c2", ""), ("c3", "x"))
    spans = evidence_spans(gold, srcs).sort("case_id", "source_id")
    assert spans.rows() == [("c1", "s1", 28, 31), ("c1", "s2", 0, 3), ("c2", "s1", 0, 3)]


def test_evidence_overlap_is_half_open_and_counts_every_occurrence(
    results: Builder, citations: Builder, sources: Builder, evidence: Builder
) -> None:
    frame = results({"case_id": "c"})
    srcs = sources(("c", "s", "fee fee"))
    gold = evidence(("c", "fee"))  # occurs at [0, 3) and at [4, 7)
    touching = citations(("c", 0, "s", " ", 3, 4))  # [3, 4) touches both, overlaps neither
    second = citations(("c", 0, "s", "fee", 4, 7))  # the second occurrence is evidence too
    inside = citations(("c", 0, "s", "e", 2, 3))
    across = citations(("c", 0, "s", "e f", 2, 5))  # overlaps both occurrences
    assert evidence_recall(frame, touching, srcs, gold).value == 0.0
    assert evidence_recall(frame, second, srcs, gold).value == 1.0
    assert evidence_recall(frame, inside, srcs, gold).value == 1.0
    assert evidence_recall(frame, across, srcs, gold).value == 1.0


def test_evidence_is_matched_case_sensitively(
    results: Builder, citations: Builder, sources: Builder, evidence: Builder
) -> None:
    """Gold evidence is a quotation: "Fee" is not "fee". Only [4, 7) of "fee Fee" is evidence,
    so a citation of [0, 3) misses it and the span found is the second word."""
    frame = results({"case_id": "c"})
    srcs = sources(("c", "s", "fee Fee"))
    gold = evidence(("c", "Fee"))
    assert evidence_spans(gold, srcs).rows() == [("c", "s", 4, 7)]
    lower = citations(("c", 0, "s", "fee", 0, 3))
    upper = citations(("c", 0, "s", "Fee", 4, 7))
    assert evidence_recall(frame, lower, srcs, gold).value == 0.0
    assert evidence_recall(frame, upper, srcs, gold).value == 1.0


def test_errored_case_never_hits(
    results: Builder, citations: Builder, sources: Builder, evidence: Builder
) -> None:
    frame = results({"case_id": "c", "error": "timeout"})
    est = evidence_recall(
        frame,
        citations(("c", 0, "s", "fee", 0, 3)),
        sources(("c", "s", "fee")),
        evidence(("c", "fee")),
    )
    assert (est.value, est.n) == (0.0, 1)


def test_repeated_source_id_counts_a_citation_once(citations: Builder, sources: Builder) -> None:
    srcs = sources(("c", "s", "abc"), ("c", "s", "abc"))
    est = citation_precision(citations(("c", 0, "s", "ab", 0, 2)), srcs)
    assert (est.value, est.n) == (1.0, 1)


def test_empty_frames_give_none(empty: Frames, run: Frames) -> None:
    e = empty
    assert citation_precision(e["citations"], e["sources"]).to_dict()["value"] is None
    est = citation_coverage(e["results"], e["citations"], e["claims"], e["sources"])
    assert (est.value, est.n) == (None, 0)
    assert evidence_recall(e["results"], e["citations"], e["sources"], e["evidence"]).n == 0
    # a run with answered cases but no citations at all: coverage 0/3, not None
    est = citation_coverage(run["results"], e["citations"], run["claims"], run["sources"])
    assert (est.value, est.n) == (0.0, 3)
    assert validate_citations(e["citations"], e["sources"]).columns[-1] == "valid"


alphabet = st.sampled_from(list("ab “”£é—\u00a0\U0001f600"))


@given(
    text=st.text(alphabet, max_size=12),
    spans=st.lists(st.tuples(st.integers(-2, 14), st.integers(-2, 14), st.booleans()), max_size=8),
)
def test_validity_matches_python_slicing(text: str, spans: list[tuple[int, int, bool]]) -> None:
    rows = []
    for start, end, honest in spans:
        quoted = text[max(start, 0) : max(end, 0)] if honest else "ab"
        rows.append(("c", 0, "s", quoted, start, end))
    cites = pl.DataFrame(
        rows,
        schema={
            "case_id": pl.String,
            "claim": pl.Int64,
            "source_id": pl.String,
            "cited_text": pl.String,
            "start": pl.Int64,
            "end": pl.Int64,
        },
        orient="row",
    )
    srcs = pl.DataFrame({"case_id": ["c"], "source_id": ["s"], "text": [text]})
    got = validate_citations(cites, srcs).get_column("valid").to_list()
    expected = [
        0 <= start < end <= len(text) and text[start:end] == quoted
        for _, _, _, quoted, start, end in rows
    ]
    assert got == expected


def test_a_frame_of_the_wrong_kind_or_shape_is_named(citations: Builder, sources: Builder) -> None:
    srcs = sources(("c", "s", "fee"))
    with pytest.raises(TypeError) as wrong:
        validate_citations([("c", 0, "s", "fee", 0, 3)], srcs)
    assert str(wrong.value) == "citations must be a polars DataFrame, got list"
    with pytest.raises(TypeError) as wrong:
        citation_precision(citations(("c", 0, "s", "fee", 0, 3)), [("c", "s", "fee")])
    assert str(wrong.value) == "sources must be a polars DataFrame, got list"
    with pytest.raises(ValueError) as short:
        validate_citations(pl.DataFrame({"case_id": ["c"]}), srcs)
    assert str(short.value) == (
        "citations frame is missing column(s) claim, source_id, cited_text, start, end; "
        "it needs case_id, claim, source_id, cited_text, start, end (has case_id)"
    )
    with pytest.raises(ValueError) as empty:
        citation_precision(citations(("c", 0, "s", "fee", 0, 3)), pl.DataFrame())
    assert str(empty.value).startswith("sources frame is missing column(s) case_id, source_id")
    assert str(empty.value).endswith("(has no columns)")
    with pytest.raises(ValueError) as no_text:
        evidence_spans(pl.DataFrame({"case_id": ["c"]}), srcs)
    assert str(no_text.value).startswith("evidence frame is missing column(s) text;")


def test_evidence_is_found_as_written_not_as_a_pattern(
    results: Builder, citations: Builder, sources: Builder, evidence: Builder
) -> None:
    """Gold evidence with regular-expression characters is literal text: "(£12)." occurs only
    at [9, 15); read as a pattern it would match "£12x" at [0, 4)."""
    srcs = sources(("c", "s", "£12x fee (£12). end"))
    gold = evidence(("c", "(£12)."))
    assert evidence_spans(gold, srcs).rows() == [("c", "s", 9, 15)]
    frame = results({"case_id": "c"})
    first = citations(("c", 0, "s", "£12x", 0, 4))
    second = citations(("c", 0, "s", "(£12).", 9, 15))
    assert evidence_recall(frame, first, srcs, gold).value == 0.0
    assert evidence_recall(frame, second, srcs, gold).value == 1.0


def test_one_character_evidence_counts_and_empty_evidence_does_not(
    results: Builder, citations: Builder, sources: Builder, evidence: Builder
) -> None:
    srcs = sources(("c", "s", "a 5 b"), ("d", "s", "a 5 b"))
    frame = results({"case_id": "c"}, {"case_id": "d"})
    gold = evidence(("c", "5"), ("d", ""))
    assert evidence_spans(gold, srcs).rows() == [("c", "s", 2, 3)]
    est = evidence_recall(frame, citations(("c", 0, "s", "5", 2, 3)), srcs, gold)
    assert (est.value, est.n) == (1.0, 1)  # d has no usable evidence: not counted


def test_unrecorded_flags_read_as_not_answerable_and_not_abstained(
    results: Builder, citations: Builder, claims: Builder, sources: Builder, evidence: Builder
) -> None:
    srcs = sources(("c", "s", "fee"))
    cites = citations(("c", 0, "s", "fee", 0, 3))
    recall = evidence_recall(
        results({"case_id": "c", "answerable": None}), cites, srcs, evidence(("c", "fee"))
    )
    assert recall.n == 0  # not known to be answerable: no evidence is owed
    coverage = citation_coverage(
        results({"case_id": "c", "abstained": None}), cites, claims(("c", 0, "Fee.")), srcs
    )
    assert (coverage.value, coverage.n) == (1.0, 1)  # not known to have abstained: it answered


def test_a_repeated_source_id_is_read_from_its_first_row(
    citations: Builder, sources: Builder
) -> None:
    srcs = sources(("c", "s", "abc"), ("c", "s", "xyz"))
    est = citation_precision(citations(("c", 0, "s", "ab", 0, 2)), srcs)
    assert (est.value, est.n) == (1.0, 1)


def test_validate_citations_keeps_each_flag_on_its_own_row(sources: Builder) -> None:
    """A thousand citations, every third one misquoted: each row's flag is its own (polars'
    streaming join does not keep row order unless asked)."""
    srcs = sources(*[(f"c{i}", "s1", f"text {i}") for i in range(1000)])
    rows = [(f"c{i}", 0, "s1", "text" if i % 3 else "nope", 0, 4) for i in range(1000)]
    cites = pl.DataFrame(rows, schema=CITATIONS_SCHEMA, orient="row")
    checked = validate_citations(cites, srcs)
    assert checked.get_column("case_id").to_list() == [f"c{i}" for i in range(1000)]
    assert checked.get_column("valid").to_list() == [i % 3 != 0 for i in range(1000)]
