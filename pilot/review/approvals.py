"""Approvals at stages 2 and 3: a person's decision on a consequential output, recorded once.

They arrive with the outputs (the spool's `approval` field, stored by ingest) or are recorded in
the app by a lead. A decision is never overwritten: an output has at most one.
"""

from __future__ import annotations

from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.review.spool import DECISIONS


def pending(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """Consequential outputs at stage 2 or 3 with no decision yet, oldest first."""
    rows = con.execute(
        "SELECT id, ts, week, stage, input, output, simulated FROM live_outputs o "
        "WHERE consequential AND stage IN (2, 3) AND NOT EXISTS "
        "(SELECT 1 FROM approvals a WHERE a.output_id = o.id) ORDER BY ts, id LIMIT ?",
        [limit],
    ).fetchall()
    keys = ("output_id", "ts", "window", "stage", "input", "output", "simulated")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def record_approval(
    store: Store,
    user: str | None,
    output_id: str,
    decision: str,
    *,
    edited_text: str | None = None,
) -> dict[str, Any]:
    """The signed-in lead approves, edits or rejects a consequential output, once."""
    if decision not in DECISIONS:
        raise InputError(f"decision {decision!r}: use {', '.join(DECISIONS)}")
    if decision == "edited" and not (edited_text or "").strip():
        raise InputError("an edited decision carries the edited text")

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> dict[str, Any]:
        row = con.execute(
            "SELECT consequential, stage, week, simulated FROM live_outputs WHERE id = ?",
            [output_id],
        ).fetchone()
        if row is None:
            raise InputError(f"no live output {output_id!r}")
        if not row[0] or row[1] not in (2, 3):
            raise InputError(f"{output_id} is not a consequential output at stage 2 or 3")
        if con.execute("SELECT 1 FROM approvals WHERE output_id = ?", [output_id]).fetchone():
            raise InputError(f"{output_id} already has a decision; decisions are not changed")
        now = audit.utc_now()
        text = edited_text if decision == "edited" else None
        con.execute(
            "INSERT INTO approvals VALUES "
            "(?, ?, ?, ?, ?, timezone('UTC', ?::TIMESTAMPTZ), ?, ?, 'app')",
            [output_id, row[2], row[3], decision, actor.name, now, text, actor.name],
        )
        audit.record(con, actor.name, actor.role, "approval.record", f"live_output:{output_id}",
                     {"decision": decision, "edited": text is not None})  # fmt: skip
        return {"output_id": output_id, "decision": decision, "approver": actor.name, "at": now}

    return write_as(store, user, "edit_pilot", "approval.record", f"live_output:{output_id}", body)
