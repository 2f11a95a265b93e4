"""Append-only, hash-chained audit log.

Each event's hash covers its sequence number, time, actor, role, action, object, payload and the
previous event's hash, so editing, deleting, inserting or reordering any event breaks the chain
at that event. Events are written in the same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from pilot.core.models import canonical_json

GENESIS = "0" * 64


@dataclass(frozen=True)
class Event:
    seq: int
    ts: str
    actor: str
    role: str
    action: str
    object: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    intact: bool
    events: int
    first_bad: int | None = None
    reason: str = ""
    head: str = GENESIS

    @property
    def anchor(self) -> str:
        """`SEQ:HASH` of the newest event: keep it outside the database to detect truncation."""
        return f"{self.events}:{self.head}"

    def summary(self) -> str:
        if self.intact:
            if not self.events:
                return "intact: no events yet"
            return f"intact since event 1 ({self.events} events, head {self.head[:12]})"
        return f"broken at event {self.first_bad}: {self.reason}"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    seq: int, ts: str, actor: str, role: str, action: str, obj: str, payload: str, prev: str
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "ts": ts,
            "actor": actor,
            "role": role,
            "action": action,
            "object": obj,
            "payload": payload,
            "prev_hash": prev,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    role: str,
    action: str,
    obj: str,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append one event; call inside the transaction of the write it records."""
    last = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ts = utc_now()
    body = canonical_json(payload or {})
    digest = event_hash(seq, ts, actor, role, action, obj, body, prev)
    con.execute(
        "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, ts, actor, role, action, obj, body, prev, digest],
    )
    return Event(seq, ts, actor, role, action, obj, payload or {}, prev, digest)


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH`, as `pilot audit verify --json` prints it under `anchor`."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"anchor {text!r}: expected SEQ:HASH, e.g. 412:3fa0… (64 hex digits)")
    return int(seq), digest.lower()


def verify(con: duckdb.DuckDBPyConnection, anchor: tuple[int, str] | None = None) -> Verification:
    """Walk the chain from event 1; report the first event that does not fit.

    The chain alone cannot show that its newest events were deleted. An `anchor` (a sequence
    number and hash recorded outside the database earlier, e.g. in an exported report) closes
    that gap: the event it names must still be there with the same hash."""
    result = _walk(con)
    if anchor is None or not result.intact:
        return result
    seq, digest = anchor
    if seq > result.events:
        return Verification(
            False,
            result.events,
            result.events + 1,
            f"truncated: the anchor names event {seq} but the chain ends at event {result.events}",
        )
    row = con.execute("SELECT hash FROM audit_events WHERE seq = ?", [seq]).fetchone()
    if row is None or row[0] != digest:
        return Verification(False, result.events, seq, "it does not match the anchor")
    return result


def _walk(con: duckdb.DuckDBPyConnection) -> Verification:
    rows = con.execute(
        "SELECT seq, ts, actor, role, action, object, payload, prev_hash, hash "
        "FROM audit_events ORDER BY seq"
    ).fetchall()
    prev = GENESIS
    for index, row in enumerate(rows):
        seq, ts, actor, role, action, obj, payload, prev_hash, digest = row
        expected_seq = index + 1
        if seq != expected_seq:
            bad = min(seq, expected_seq)
            return Verification(
                False, len(rows), bad, f"expected event {expected_seq}, found {seq}"
            )
        if prev_hash != prev:
            return Verification(
                False, len(rows), seq, "its previous-hash does not match the event before it"
            )
        if event_hash(seq, ts, actor, role, action, obj, payload, prev_hash) != digest:
            return Verification(False, len(rows), seq, "its content does not match its hash")
        prev = digest
    return Verification(True, len(rows), head=prev)


def events(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 500,
) -> list[Event]:
    """Newest first, optionally filtered by actor and action prefix."""
    where, params = [], []
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if action:
        where.append("action LIKE ?")
        params.append(action + "%")
    sql = "SELECT seq, ts, actor, role, action, object, payload, prev_hash, hash FROM audit_events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    rows = con.execute(sql, [*params, limit]).fetchall()
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8]) for r in rows]


def distinct_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    if column not in {"actor", "action"}:
        raise ValueError(column)
    return [
        r[0]
        for r in con.execute(f"SELECT DISTINCT {column} FROM audit_events ORDER BY 1").fetchall()
    ]
