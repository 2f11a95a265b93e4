"""A golden set's size, overall and per tag: what the bar's planner weighs a criterion against."""

from __future__ import annotations

from typing import Any

import duckdb

from pilot.core.store import table_exists
from pilot.define.planner import GoldenSetSize, PlannerContext


def latest_goldenset(
    con: duckdb.DuckDBPyConnection, version: str | None = None
) -> GoldenSetSize | None:
    """The newest imported golden set (or `version`), if that step's tables exist yet."""
    if not table_exists(con, "goldenset_versions"):
        return None
    row = con.execute(
        "SELECT version, name, n_cases, n_unanswerable FROM goldenset_versions "
        "WHERE ? IS NULL OR version = ? ORDER BY created_at DESC LIMIT 1",
        [version, version],
    ).fetchone()
    return GoldenSetSize(str(row[0]), str(row[1]), int(row[2]), int(row[3] or 0)) if row else None


_COUNTS = (
    "count(*), count(*) FILTER (WHERE answerable), "
    "count(*) FILTER (WHERE answerable AND len(list_filter(evidence, lambda e: length(e) > 0)) > 0)"
)


def _counts(row: tuple[Any, ...]) -> dict[str, int]:
    n, answerable, evidence = (int(x or 0) for x in row)
    return {
        "cases": n,
        "answerable": answerable,
        "unanswerable": n - answerable,
        "evidence": evidence,
    }


def planner_context(con: duckdb.DuckDBPyConnection, version: str | None = None) -> PlannerContext:
    golden = latest_goldenset(con, version)
    if golden is None or not table_exists(con, "golden_cases"):
        fallback = (
            {}
            if golden is None
            else _counts((golden.n_cases, golden.n_cases - golden.n_unanswerable, 0))
        )
        return PlannerContext(golden, fallback)
    where = "FROM golden_cases WHERE version = ?"
    overall = _counts(con.execute(f"SELECT {_COUNTS} {where}", [golden.version]).fetchone() or ())
    rows = con.execute(
        f"SELECT tag, {_COUNTS} FROM (SELECT unnest(tags) AS tag, answerable, evidence {where}) "
        "GROUP BY tag",
        [golden.version],
    ).fetchall()
    by_tag = {row[0]: _counts(row[1:]) for row in rows if row[0]}
    return PlannerContext(golden, overall, by_tag)


def known_tags(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tags of the newest golden set's cases, for the scope picker."""
    return planner_context(con).tags
