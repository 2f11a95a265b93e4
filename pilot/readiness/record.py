"""The run of record: the one run a verdict, Home, Readiness and the report speak for.

A lead pins one per golden-set version and bar version (`pin_run`, audited). Until one is pinned
for the current versions, the run of record is the newest finished run on them. The current
versions are the newest signed bar and the newest version of the golden set last run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store, table_exists
from pilot.define.bar_versions import latest_signed_bar


@dataclass(frozen=True)
class RunOfRecord:
    run_id: str
    goldenset_version: str
    bar_version: int
    config_version: str
    pinned: bool
    pinned_by: str | None
    finished_at: str | None
    passed: bool
    failing: list[str] = field(default_factory=list)  # "accuracy on all", "min_cases", ...
    n_criteria: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_versions(con: duckdb.DuckDBPyConnection) -> tuple[str | None, int | None]:
    """(golden-set version, signed bar version) runs of record are chosen on."""
    bar = latest_signed_bar(con) if table_exists(con, "bar_versions") else None
    if not table_exists(con, "runs"):
        return None, bar.version if bar else None
    row = con.execute(
        "SELECT g.name FROM runs r JOIN goldenset_versions g ON g.version = r.goldenset_version "
        "WHERE r.status = 'finished' ORDER BY r.finished_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None, bar.version if bar else None
    latest = con.execute(
        "SELECT version FROM goldenset_versions WHERE name = ? ORDER BY created_at DESC LIMIT 1",
        [row[0]],
    ).fetchone()
    return latest[0], bar.version if bar else None


def failing_criteria(summary: dict[str, Any]) -> list[str]:
    verdict = summary.get("verdict", {})
    failing = [
        f"{c['metric']} on {c['scope']}" for c in verdict.get("criteria", []) if not c["passed"]
    ]
    if not verdict.get("min_cases_met", True):
        failing.append("minimum number of cases")
    limit = verdict.get("max_critical_errors")
    if limit is not None and len(verdict.get("critical_errors", [])) > limit:
        failing.append("critical errors")
    return failing


def _describe(con: duckdb.DuckDBPyConnection, run_id: str, pinned_by: str | None) -> RunOfRecord:
    gs, cfg, bar, finished, summary = con.execute(
        "SELECT goldenset_version, config_version, bar_version, finished_at, summary "
        "FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    data = json.loads(summary) if summary else {}
    verdict = data.get("verdict", {})
    return RunOfRecord(
        run_id=run_id,
        goldenset_version=gs,
        bar_version=bar,
        config_version=cfg,
        pinned=pinned_by is not None,
        pinned_by=pinned_by,
        finished_at=finished,
        passed=bool(verdict.get("passed")) and not verdict.get("exploratory", True),
        failing=failing_criteria(data),
        n_criteria=len(verdict.get("criteria", [])),
    )


def run_of_record(
    con: duckdb.DuckDBPyConnection, config_version: str | None = None
) -> RunOfRecord | None:
    """The pinned run for the current versions, else the newest finished run on them
    (on `config_version` only, when given); None when there is no such run."""
    gs, bar = current_versions(con)
    if gs is None or bar is None:
        return None
    if table_exists(con, "run_of_record"):
        pinned = con.execute(
            "SELECT p.run_id, p.pinned_by FROM run_of_record p JOIN runs r USING (run_id) "
            "WHERE p.goldenset_version = ? AND p.bar_version = ? "
            "AND (? IS NULL OR r.config_version = ?)",
            [gs, bar, config_version, config_version],
        ).fetchone()
        if pinned:
            return _describe(con, pinned[0], pinned[1])
    row = con.execute(
        "SELECT run_id FROM runs WHERE status = 'finished' AND goldenset_version = ? "
        "AND bar_version = ? AND (? IS NULL OR config_version = ?) "
        "ORDER BY finished_at DESC, run_id LIMIT 1",
        [gs, bar, config_version, config_version],
    ).fetchone()
    return _describe(con, row[0], None) if row else None


def pin_run(store: Store, user: Who, run_id: str) -> RunOfRecord:
    """A lead pins `run_id` as the run of record for its golden-set and bar versions."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> RunOfRecord:
        row = con.execute(
            "SELECT r.status, r.goldenset_version, r.bar_version, b.signed_by "
            "FROM runs r LEFT JOIN bar_versions b ON b.version = r.bar_version "
            "WHERE r.run_id = ?",
            [run_id],
        ).fetchone()
        if row is None:
            raise InputError(f"RUN_ID {run_id!r}: no such run")
        status, gs, bar, signed_by = row
        if status != "finished":
            raise InputError(f"run {run_id} is {status}: only a finished run can be of record")
        if bar is None or signed_by is None:
            raise InputError(f"run {run_id} was judged against no signed bar: it is exploratory")
        previous = con.execute(
            "SELECT run_id FROM run_of_record WHERE goldenset_version = ? AND bar_version = ?",
            [gs, bar],
        ).fetchone()
        now = audit.utc_now()
        con.execute(
            "INSERT OR REPLACE INTO run_of_record VALUES (?, ?, ?, ?, ?)",
            [gs, bar, run_id, actor.name, now],
        )
        audit.record_as(
            con,
            actor,
            "run.pin",
            f"run:{run_id}",
            {
                "goldenset_version": gs,
                "bar_version": bar,
                "replaces": previous[0] if previous else None,
            },
        )
        return _describe(con, run_id, actor.name)

    return write_as(store, user, "sign", "run.pin", f"run:{run_id}", body)
