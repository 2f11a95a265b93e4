"""The current autonomy stage, its history, and the stage file the guard reads.

A stage change (promote, demote, rollback) is a row of `stage_changes` and an audit event in the
same transaction; after it commits, `<db>.stage` (0600, replaced atomically) is rewritten so
`pilot.guard` learns the stage with a stat, never a database open.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pilot.core import audit, keys
from pilot.core.access import Actor
from pilot.core.store import Store, table_exists
from pilot.runs.configs import newest_config

STAGES = {
    0: "Evaluation",
    1: "Draft",
    2: "Approve all",
    3: "Approve consequential",
}
MEANING = {
    0: "golden set only: the system's outputs are not used",
    1: "the system drafts, a person does the work",
    2: "the system works, a person approves every output",
    3: "routine outputs flow; consequential ones are approved",
}


@dataclass(frozen=True)
class StageChange:
    seq: int
    at: str
    by: str
    kind: str  # promote | demote | rollback
    from_stage: int
    to_stage: int
    config_version: str | None
    evidence_hash: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def stage_file(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".stage")


def history(con: duckdb.DuckDBPyConnection) -> list[StageChange]:
    if not table_exists(con, "stage_changes"):
        return []
    rows = con.execute(
        "SELECT seq, changed_at, changed_by, kind, from_stage, to_stage, config_version, evidence_hash, reason "
        "FROM stage_changes ORDER BY seq"
    ).fetchall()
    return [StageChange(*r) for r in rows]


def current_stage(con: duckdb.DuckDBPyConnection) -> int:
    if not table_exists(con, "stage_changes"):
        return 0
    row = con.execute("SELECT to_stage FROM stage_changes ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else 0


def active_config(con: duckdb.DuckDBPyConnection) -> str | None:
    """The config in production: the latest stage change's, from stage 1 up; at stage 0 (nothing
    in production) the newest registered config, the candidate the 0 → 1 gate judges."""
    if table_exists(con, "stage_changes") and current_stage(con) > 0:
        row = con.execute(
            "SELECT config_version FROM stage_changes ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row and row[0]:
            return row[0]
    return newest_config(con) if table_exists(con, "system_configs") else None


def append_change(
    con: duckdb.DuckDBPyConnection,
    actor: Actor,
    kind: str,
    to_stage: int,
    config_version: str | None,
    reason: str,
    evidence: dict[str, Any] | None = None,
) -> StageChange:
    """Record one stage change and its audit event (call inside the write's transaction)."""
    evidence_json = json.dumps(evidence, sort_keys=True, default=str) if evidence else None
    digest = hashlib.sha256(evidence_json.encode()).hexdigest() if evidence_json else None
    seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM stage_changes").fetchone()[0]
    change = StageChange(
        seq, audit.utc_now(), actor.name, kind, current_stage(con), to_stage, config_version,
        digest, reason,
    )  # fmt: skip
    con.execute(
        "INSERT INTO stage_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [change.seq, change.at, change.by, kind, change.from_stage, to_stage, config_version,
         evidence_json, digest, reason],
    )  # fmt: skip
    audit.record_as(
        con,
        actor,
        f"stage.{kind}",
        f"stage:{to_stage}",
        {"from": change.from_stage, "to": to_stage, "config_version": config_version,
         "reason": reason, "evidence_hash": digest, "evidence": evidence},
    )  # fmt: skip
    return change


def write_stage_file(store: Store) -> int:
    """Rewrite `<db>.stage` from the database (0600, atomically); returns the stage."""
    with store.read() as con:
        stage, config = current_stage(con), active_config(con)
    path = stage_file(store)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    keys.write_private(tmp, json.dumps({"stage": stage, "config_version": config}), exclusive=True)
    os.replace(tmp, path)
    return stage
