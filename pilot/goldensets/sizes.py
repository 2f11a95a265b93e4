"""A golden set's size, overall and per tag: what the bar's planner weighs a criterion against."""

from __future__ import annotations

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


def planner_context(con: duckdb.DuckDBPyConnection, version: str | None = None) -> PlannerContext:
    """The newest golden set's size, overall and per tag, read once for a page of criteria."""
    golden = latest_goldenset(con, version)
    if golden is None or not table_exists(con, "golden_cases"):
        return PlannerContext(golden)
    rows = con.execute(
        "SELECT tag, count(*), count(*) FILTER (WHERE answerable) FROM "
        "(SELECT unnest(tags) AS tag, answerable FROM golden_cases WHERE version = ?) "
        "GROUP BY tag",
        [golden.version],
    ).fetchall()
    by_tag = {tag: {"all": n, "answerable": k, "unanswerable": n - k} for tag, n, k in rows if tag}
    return PlannerContext(golden, by_tag)


def known_tags(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tags of the newest golden set's cases, for the scope picker."""
    return planner_context(con).tags
