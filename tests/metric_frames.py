"""Column contracts and small hand-worked frames shared by the metric tests.

A module of its own (not conftest.py) so tests can import from it by a unique name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

# The runner's column contracts, restated here so the tests pin them independently.
RESULTS_SCHEMA = {
    "case_id": pl.String,
    "answer": pl.String,
    "abstained": pl.Boolean,
    "correct": pl.Boolean,
    "error": pl.String,
    "answerable": pl.Boolean,
    "expected_answer": pl.String,
    "tags": pl.List(pl.String),
    "consequential": pl.Boolean,
}
CITATIONS_SCHEMA = {
    "case_id": pl.String,
    "claim": pl.Int64,
    "source_id": pl.String,
    "cited_text": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
}
CLAIMS_SCHEMA = {"case_id": pl.String, "claim": pl.Int64, "text": pl.String}
SOURCES_SCHEMA = {"case_id": pl.String, "source_id": pl.String, "text": pl.String}
EVIDENCE_SCHEMA = {"case_id": pl.String, "text": pl.String}

RESULT_DEFAULTS: dict[str, Any] = {
    "answer": "an answer",
    "abstained": False,
    "correct": None,
    "error": None,
    "answerable": True,
    "expected_answer": None,
    "tags": [],
    "consequential": False,
}

Builder = Callable[..., pl.DataFrame]
Frames = dict[str, pl.DataFrame]


def build_results(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{**RESULT_DEFAULTS, **row} for row in rows], schema=RESULTS_SCHEMA)


def build(schema: dict[str, Any], rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


# A source with non-ASCII text: “ ” — and £ are one character each but several UTF-8 bytes.
#   “  R  e  f  u  n  d  s  ”  ␠  t  a  k  e  ␠  3  0  ␠  d  a  y  s  ;  ␠  f  e  e  ␠  £  1  2  .
#   0  1  2  3  4  5  6  7  8  9  10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
SMART = "“Refunds” take 30 days; fee £12."


def shared_run() -> dict[str, pl.DataFrame]:
    """A five-case run with citations, claims, sources and evidence, worked by hand in
    test_citations.py."""
    results = build_results(
        {"case_id": "c1", "correct": True, "tags": ["policy", "ugly"]},
        {"case_id": "c2", "correct": False, "tags": ["policy"]},
        {"case_id": "c3", "correct": True, "tags": []},
        {"case_id": "c4", "abstained": True, "answer": None, "correct": False, "tags": ["ugly"]},
        {
            "case_id": "c5",
            "answerable": False,
            "error": "timeout",
            "answer": None,
            "correct": False,
            "tags": ["ugly"],
        },
    )
    citations = build(
        CITATIONS_SCHEMA,
        [
            ("c1", 0, "s1", "Refunds", 1, 8),  # valid
            ("c1", 1, "s1", "30 days", 15, 22),  # valid
            ("c1", 1, "s1", "30 days", 19, 26),  # invalid: UTF-8 byte offsets, not characters
            ("c1", 0, "s9", "x", 0, 1),  # invalid: no source s9
            ("c1", 2, "s1", "£12", 28, 31),  # valid
            ("c1", 0, "s1", "", 3, 3),  # invalid: empty span
            ("c1", 0, "s1", ".", 31, 33),  # invalid: ends past the text (32 characters)
            ("c2", 0, "s1", "Plain", 0, 5),  # valid
        ],
    )
    claims = build(
        CLAIMS_SCHEMA,
        [
            ("c1", 0, "Refunds take 30 days."),
            ("c1", 1, "The window is 30 days."),
            ("c1", 2, "The fee is £12."),
            ("c2", 0, "Plain."),
            ("c2", 1, "Unsupported."),
        ],
    )
    sources = build(
        SOURCES_SCHEMA,
        [("c1", "s1", SMART), ("c2", "s1", "Plain text"), ("c3", "s1", "abc"), ("c4", "s1", "x")],
    )
    evidence = build(
        EVIDENCE_SCHEMA,
        [("c1", "30 days"), ("c2", "text"), ("c3", "zzz"), ("c4", "x"), ("c5", "x")],
    )
    return {
        "results": results,
        "citations": citations,
        "claims": claims,
        "sources": sources,
        "evidence": evidence,
    }
