"""Reading the audit log by action or by object, for the checks that compare a record with the
(keyed) event that recorded it. Only `pilot.core` queries `audit_events`."""

from __future__ import annotations

import json
from typing import Any

import duckdb


def newest_events(
    con: duckdb.DuckDBPyConnection, actions: tuple[str, ...]
) -> dict[tuple[str, str], tuple[str, str, Any]]:
    """The newest event per (action, object) for these actions: (actor, ts, payload)."""
    marks = ", ".join("?" for _ in actions)
    rows = con.execute(
        f"SELECT action, object, actor, ts, payload FROM audit_events WHERE action IN ({marks}) "
        "ORDER BY seq",
        list(actions),
    ).fetchall()
    return {(r[0], r[1]): (r[2], r[3], json.loads(r[4])) for r in rows}


def events_on(
    con: duckdb.DuckDBPyConnection, obj: str, actions: tuple[str, ...]
) -> list[tuple[str, Any, str, str]]:
    """Every event on `obj` with one of `actions`, oldest first: (action, payload, actor, ts)."""
    marks = ", ".join("?" for _ in actions)
    rows = con.execute(
        f"SELECT action, payload, actor, ts FROM audit_events WHERE object = ? "
        f"AND action IN ({marks}) ORDER BY seq",
        [obj, *actions],
    ).fetchall()
    return [(r[0], json.loads(r[1]), r[2], r[3]) for r in rows]


def events_with(
    con: duckdb.DuckDBPyConnection, action: str, field: str, value: str
) -> list[tuple[str, Any]]:
    """Events with `action` whose payload's `field` is `value`, newest first: (object,
    payload). The text match only narrows; each payload is parsed and compared."""
    rows = con.execute(
        "SELECT object, payload FROM audit_events WHERE action = ? AND contains(payload, ?) "
        "ORDER BY seq DESC",
        [action, value],
    ).fetchall()
    found = [(r[0], json.loads(r[1])) for r in rows]
    return [(obj, payload) for obj, payload in found if payload.get(field) == value]
