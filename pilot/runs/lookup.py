"""Small reads of the `runs` table for later steps (readiness, results): one run's facts, the
newest finished run on given versions, a fingerprint of runs' stored results. Later steps call
these instead of querying `runs`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb


@dataclass(frozen=True)
class RunBrief:
    """What a later step needs to know about one run; `summary` is the stored JSON, parsed."""

    run_id: str
    status: str
    goldenset_version: str
    config_version: str
    bar_version: int | None
    finished_at: str | None
    summary: dict[str, Any] = field(default_factory=dict)


def run_brief(con: duckdb.DuckDBPyConnection, run_id: str) -> RunBrief | None:
    row = con.execute(
        "SELECT run_id, status, goldenset_version, config_version, bar_version, finished_at, "
        "summary FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    if row is None:
        return None
    return RunBrief(*row[:6], summary=json.loads(row[6]) if row[6] else {})


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> list[dict[str, Any]]:
    """The newest `limit` runs of any status, newest first, as pickers list them: id, status,
    versions, the system's label, who started it and when. No progress and no parsed summary
    (`start.list_runs` has both, at the cost of a pass over the runs' results)."""
    rows = con.execute(
        "SELECT r.run_id, r.status, r.goldenset_version, r.config_version, "
        "c.label || ' (' || substr(r.config_version, 1, 8) || ')', r.bar_version, "
        "r.started_at, r.finished_at, r.started_by FROM runs r "
        "LEFT JOIN system_configs c ON c.version = r.config_version "
        "ORDER BY r.started_at DESC, r.run_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    keys = ("run_id", "status", "goldenset_version", "config_version", "system", "bar_version",
            "started_at", "finished_at", "started_by")  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def newest_finished(
    con: duckdb.DuckDBPyConnection,
    *,
    goldenset_version: str | None = None,
    bar_version: int | None = None,
    config_version: str | None = None,
) -> str | None:
    """The newest finished run, on the versions given (None: any); None when there is none."""
    row = con.execute(
        "SELECT run_id FROM runs WHERE status = 'finished' "
        "AND (CAST(? AS VARCHAR) IS NULL OR goldenset_version = ?) "
        "AND (CAST(? AS INTEGER) IS NULL OR bar_version = ?) "
        "AND (CAST(? AS VARCHAR) IS NULL OR config_version = ?) "
        "ORDER BY finished_at DESC, run_id LIMIT 1",
        [goldenset_version, goldenset_version, bar_version, bar_version,
         config_version, config_version],
    ).fetchone()  # fmt: skip
    return str(row[0]) if row else None


def runs_by_config(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Run ids per system config version."""
    found: dict[str, list[str]] = {}
    for run_id, config in con.execute("SELECT run_id, config_version FROM runs").fetchall():
        found.setdefault(str(config), []).append(str(run_id))
    return found


def content_versions(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> dict[str, str]:
    """Per run id, a fingerprint of its stored results (every column of every row, in one
    pass): rows that change (a rescore, a resume dropping errors) change it, so a figure
    computed from the rows may be cached under it and never go stale. Runs without results
    are absent."""
    if not run_ids:
        return {}
    rows = con.execute(
        "SELECT run_id, count(*), bit_xor(hash(r)) FROM results r "
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY run_id",
        [list(run_ids)],
    ).fetchall()
    return {str(run_id): f"{n}:{digest}" for run_id, n, digest in rows}
