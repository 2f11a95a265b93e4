"""A run's stored rows as the polars frames `metrics/` reads. Figures are recomputable from these."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import duckdb
import polars as pl

from metrics import frames as contracts
from metrics.frames import RunFrames
from pilot.core.store import frame
from pilot.goldensets import stored
from pilot.runs.prices import usage_cost

RESULT_SQL = """
SELECT case_id, answer, abstained, correct, error, claims, citations, match_rule, cached,
       latency_ms, input_tokens, output_tokens, cost_usd, model, stop_reason, attempts
FROM results WHERE run_id = ?
"""
ROW_COLUMNS = (
    "case_id",
    "answer",
    "abstained",
    "correct",
    "error",
    "answerable",
    "expected_answer",
    "tags",
    "consequential",
    "claims",
    "citations",
    "match_rule",
    "cached",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "model",
    "stop_reason",
    "attempts",
    "question",
    "position",
)


def goldenset_version(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    row = con.execute("SELECT goldenset_version FROM runs WHERE run_id = ?", [run_id]).fetchone()
    return str(row[0]) if row else None


def _joined(
    con: duckdb.DuckDBPyConnection, run_id: str, version: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The run's results joined with their golden cases (of `version`, the run's golden set
    version when the caller has read it), in file order, and the cases."""
    results = frame(con, RESULT_SQL, [run_id])
    golden = _cases(con, version if version is not None else goldenset_version(con, run_id) or "")
    rows = results.join(golden.drop("sources", "evidence"), on="case_id", how="inner")
    return rows.sort("position").select(ROW_COLUMNS), golden


def result_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """One row per stored result joined with its golden case (answerable, tags, ...)."""
    return _joined(con, run_id)[0]


_MEMO: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("run_frames_memo", default=None)


@contextmanager
def remembered_frames() -> Iterator[None]:
    """Within the block, each run's frames (and each golden set's cases and sources) are built
    once: a report reads the same finished runs several times (verdict, each regression pair),
    and the Results page's history reads many runs of one golden set version."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _cases(con: duckdb.DuckDBPyConnection, version: str) -> pl.DataFrame:
    """A golden set version's cases; read once within `remembered_frames` (a version's cases
    never change: its name is the hash of its content)."""
    memo = _MEMO.get()
    if memo is None:
        return stored.case_frame(con, version)
    if ("cases", version) not in memo:
        memo[("cases", version)] = stored.case_frame(con, version)
    return memo[("cases", version)]


def run_frames(con: duckdb.DuckDBPyConnection, run_id: str) -> RunFrames:
    memo = _MEMO.get()
    if memo is not None and ("run", run_id) in memo:
        return memo[("run", run_id)]
    version = goldenset_version(con, run_id) or ""
    rows, cases = _joined(con, run_id, version)
    if memo is not None and ("golden", version) in memo:
        sources, evidence = memo[("golden", version)]
    else:
        sources, evidence = _golden_frames(cases)
    frames = _frames(rows, sources, evidence)
    if memo is not None:
        memo[("run", run_id)] = frames
        memo[("golden", version)] = (sources, evidence)
    return frames


def joined_rows(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`result_rows` and the golden cases they join, read once (scoring works on both)."""
    return _joined(con, run_id)


def frames_of(rows: pl.DataFrame, cases: pl.DataFrame) -> RunFrames:
    """The frames `metrics/` reads, from a run's joined rows and its golden cases (finishing a
    run scores the rows it read and summarises them without reading them again)."""
    return _frames(rows, *_golden_frames(cases))


def _frames(rows: pl.DataFrame, sources: pl.DataFrame, evidence: pl.DataFrame) -> RunFrames:
    return RunFrames(
        results=rows.select(list(contracts.RESULTS)),
        citations=_explode_json(rows, "citations", contracts.CITATIONS),
        claims=_claims(rows),
        sources=sources,
        evidence=evidence,
        calls=calls_frame(rows),
    )


def _golden_frames(cases: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    golden = cases.select("case_id", "sources", "evidence").rows()
    return (
        pl.DataFrame(
            [
                {"case_id": cid, "source_id": s["id"], "text": s["text"]}
                for cid, sources, _ in golden
                for s in _json(sources)
            ],
            schema=dict(contracts.SOURCES),
        ),
        pl.DataFrame(
            [
                {"case_id": cid, "text": text}
                for cid, _, evidence in golden
                for text in (evidence or [])
            ],
            schema=dict(contracts.EVIDENCE),
        ),
    )


def calls_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Per case: latency, cache, calls made, model, and the cost of its recorded usage at list
    price (`prices.usage_cost`; null where the price is unknown; the stored `cost_usd` column,
    0.0 for an unknown price, is not read)."""
    costs = [
        usage_cost(model, tokens_in or 0, tokens_out or 0)
        for model, tokens_in, tokens_out in zip(
            rows["model"], rows["input_tokens"], rows["output_tokens"], strict=True
        )
    ]
    return (
        rows.select("case_id", "latency_ms", "cached", "attempts", "model")
        .with_columns(cost_usd=pl.Series(costs, dtype=pl.Float64))
        .cast(dict(contracts.CALLS))
    )


def _json(value: str | list | None) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _explode_json(rows: pl.DataFrame, column: str, contract: dict) -> pl.DataFrame:
    records = [
        {"case_id": cid, **{k: item.get(k) for k in contract if k != "case_id"}}
        for cid, raw in zip(rows["case_id"], rows[column], strict=True)
        for item in json.loads(raw)
    ]
    return pl.DataFrame(records, schema=dict(contract))


def _claims(rows: pl.DataFrame) -> pl.DataFrame:
    records = [
        {"case_id": cid, "claim": i, "text": text}
        for cid, raw in zip(rows["case_id"], rows["claims"], strict=True)
        for i, text in enumerate(json.loads(raw))
    ]
    return pl.DataFrame(records, schema=dict(contracts.CLAIMS))


OUTCOMES = ("all", "incorrect", "correct", "errors", "abstained")


def filter_results(
    rows: pl.DataFrame, outcome: str = "all", tag: str | None = None
) -> pl.DataFrame:
    """The Runs page's result browser filters."""
    if outcome == "incorrect":
        rows = rows.filter(~pl.col("correct").fill_null(False))
    elif outcome == "correct":
        rows = rows.filter(pl.col("correct").fill_null(False))
    elif outcome == "errors":
        rows = rows.filter(pl.col("error").is_not_null())
    elif outcome == "abstained":
        rows = rows.filter(pl.col("abstained"))
    if tag:
        rows = rows.filter(pl.col("tags").list.contains(tag))
    return rows


def browser_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The result browser's columns, headed in words; no error reads as blank, not "None"."""
    return rows.select(
        pl.col("case_id").alias("case"),
        "correct",
        "abstained",
        pl.col("error").fill_null(""),
        pl.col("latency_ms").alias("latency"),
        "cached",
        "question",
        "answer",
    )


def case_sources(con: duckdb.DuckDBPyConnection, run_id: str, case_id: str) -> list[dict]:
    version = goldenset_version(con, run_id)
    return _json(stored.case_sources_json(con, version, case_id)) if version else []


def goldenset_versions_of(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> dict[str, str]:
    """run id -> the golden set version it ran, for the runs that exist."""
    rows = con.execute(
        "SELECT run_id, goldenset_version FROM runs WHERE list_contains(?, run_id)", [run_ids]
    ).fetchall()
    return {str(r): str(v) for r, v in rows}
