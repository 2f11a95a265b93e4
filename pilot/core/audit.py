"""Append-only, hash-chained audit log, sealed with the pilot key.

Each event's hash covers its sequence number, time, actor, role, action, object, payload, the
token that acted (if any) and the previous event's hash, so editing, deleting, inserting or
reordering any event breaks the chain at that event. Anyone who can write the file can recompute
hashes, so each event also carries a MAC of its hash under the pilot key (`keys.py`), and a
one-row keyed head record names the newest event, so deleting events from the end shows too.
Events are written in the same transaction as the change they record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb

from pilot.core import keys
from pilot.core.errors import PilotError
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
    token_id: str | None = None


class KeyProblem(PilotError):
    """The database is sealed with a key this process does not hold: nothing is written."""

    exit_code = 2


@dataclass(frozen=True)
class Verification:
    intact: bool
    events: int
    first_bad: int | None = None
    reason: str = ""
    head: str = GENESIS
    keyed: bool = False
    first_keyed: int | None = None
    key_id: str | None = None

    @property
    def anchor(self) -> str:
        """`SEQ:HASH` of the newest event: keep it outside the database to detect truncation."""
        return f"{self.events}:{self.head}"

    @property
    def unkeyed_before(self) -> int | None:
        """Events before this one were written before the key existed (a migrated database)."""
        return self.first_keyed if self.first_keyed and self.first_keyed > 1 else None

    def notes(self) -> list[str]:
        found = []
        if not self.keyed:
            found.append(
                "NO PILOT KEY: the chain shows order, not authorship; anyone who can write the "
                "file can rewrite it and recompute every hash (run `pilot init` to create a key)"
            )
        elif self.unkeyed_before:
            found.append(
                f"unkeyed records before event {self.unkeyed_before}: they were written before "
                "the key existed; the key vouches only that they have not changed since"
            )
        return found

    def summary(self) -> str:
        if not self.intact:
            return f"broken at event {self.first_bad}: {self.reason}"
        text = "intact: no events yet"
        if self.events:
            text = f"intact since event 1 ({self.events} events, head {self.head[:12]})"
        return "; ".join([text, *self.notes()])


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    seq: int,
    ts: str,
    actor: str,
    role: str,
    action: str,
    obj: str,
    payload: str,
    prev: str,
    token_id: str | None = None,
) -> str:
    fields: dict[str, Any] = {
        "seq": seq,
        "ts": ts,
        "actor": actor,
        "role": role,
        "action": action,
        "object": obj,
        "payload": payload,
        "prev_hash": prev,
    }
    if token_id is not None:  # events from before tokens keep their original hash
        fields["token_id"] = token_id
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def event_mac(key: keys.PilotKey, digest: str) -> str:
    return key.mac(f"event:{digest}")


def head_mac(key: keys.PilotKey, seq: int, digest: str, first_keyed: int) -> str:
    return key.mac(f"head:{seq}:{digest}:{first_keyed}")


def keyed_head(con: duckdb.DuckDBPyConnection) -> tuple[int, str, int, str, str] | None:
    """(seq, hash, first_keyed, key_id, mac) of the keyed head record, if the chain is keyed."""
    return con.execute(
        "SELECT seq, hash, first_keyed, key_id, mac FROM audit_head WHERE id = 1"
    ).fetchone()


def write_head(
    con: duckdb.DuckDBPyConnection, key: keys.PilotKey, seq: int, digest: str, first_keyed: int
) -> None:
    con.execute(
        "INSERT INTO audit_head VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "seq = excluded.seq, hash = excluded.hash, first_keyed = excluded.first_keyed, "
        "key_id = excluded.key_id, mac = excluded.mac",
        [seq, digest, first_keyed, key.key_id, head_mac(key, seq, digest, first_keyed)],
    )


def _sealing_key(
    con: duckdb.DuckDBPyConnection, head: tuple[int, str, int, str, str] | None
) -> keys.PilotKey | None:
    key = keys.bound_key(con)
    if head is not None and key is None:
        raise KeyProblem(
            f"this database is sealed with pilot key {head[3]}, but no key file was found; "
            f"set {keys.KEY_ENV} to its path. Nothing was written."
        )
    if head is not None and key is not None and key.key_id != head[3]:
        raise KeyProblem(
            f"the key file {key.path} holds key {key.key_id}, but this database is sealed with "
            f"key {head[3]}; set {keys.KEY_ENV} to the right file. Nothing was written."
        )
    return key


def record(
    con: duckdb.DuckDBPyConnection,
    actor: str,
    role: str,
    action: str,
    obj: str,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append one event; call inside the transaction of the write it records.

    The event names the token bound to this connection (never its secret) and, when the
    database has a key, carries a MAC and moves the keyed head to it."""
    head = keyed_head(con)
    key = _sealing_key(con, head)
    token_id = keys.bound_token(con)
    last = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ts = utc_now()
    body = canonical_json(payload or {})
    digest = event_hash(seq, ts, actor, role, action, obj, body, prev, token_id)
    mac = event_mac(key, digest) if key else None
    con.execute(
        "INSERT INTO audit_events (seq, ts, actor, role, action, object, payload, prev_hash, "
        "hash, token_id, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, ts, actor, role, action, obj, body, prev, digest, token_id, mac],
    )
    if key is not None:
        write_head(con, key, seq, digest, head[2] if head else seq)
        keys.note_head(con, seq, digest)
    return Event(seq, ts, actor, role, action, obj, payload or {}, prev, digest, token_id)


class Acting(Protocol):
    name: str
    role: str
    token_id: str | None


def record_as(
    con: duckdb.DuckDBPyConnection,
    actor: Acting,
    action: str,
    obj: str,
    payload: dict[str, Any] | None = None,
) -> Event:
    """`record` for an actor object, naming the token it acts through."""
    keys.set_token(con, actor.token_id)
    return record(con, actor.name, actor.role, action, obj, payload)


def parse_anchor(text: str) -> tuple[int, str]:
    """`SEQ:HASH`, as `pilot audit verify --json` prints it under `anchor`."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64 or not set(digest.lower()) <= set("0123456789abcdef"):
        raise ValueError(f"anchor {text!r}: expected SEQ:HASH, e.g. 412:3fa0… (64 hex digits)")
    return int(seq), digest.lower()


def verify(
    con: duckdb.DuckDBPyConnection,
    anchor: tuple[int, str] | None = None,
    key: keys.PilotKey | None = None,
    since: tuple[int, str] | None = None,
) -> Verification:
    """Walk the chain from event 1; report the first event that does not fit.

    With the key, every event from the first keyed one must carry a valid MAC and the keyed
    head must name the newest event, so a rewrite, a renumbered deletion and a deletion from the
    end all show. An `anchor` (SEQ:HASH recorded outside the database earlier) additionally
    catches a whole database restored from an older copy, which no key can tell apart.
    `since` (N, HASH): events 1..N are known intact, unchanged since (`pilot.core.verified`)."""
    result = _walk(con, key, since)
    if key is not None and result.intact:
        witness = keys.read_witness(key)
        if isinstance(witness, str):
            return Verification(False, result.events, result.events, witness, keyed=True)
        if witness is not None:
            checked = _check_anchor(con, result, witness, "the head witness beside the key")
            if not checked.intact:
                return checked
    if anchor is None or not result.intact:
        return result
    return _check_anchor(con, result, anchor, "the anchor")


def _check_anchor(
    con: duckdb.DuckDBPyConnection, result: Verification, anchor: tuple[int, str], what: str
) -> Verification:
    seq, digest = anchor
    if seq > result.events:
        return Verification(
            False,
            result.events,
            result.events + 1,
            f"truncated: {what} names event {seq} but the chain ends at event {result.events}",
            keyed=result.keyed,
        )
    row = con.execute("SELECT hash FROM audit_events WHERE seq = ?", [seq]).fetchone()
    if row is None or row[0] != digest:
        return Verification(
            False, result.events, seq, f"it does not match {what}", keyed=result.keyed
        )
    return result


def _walk(
    con: duckdb.DuckDBPyConnection, key: keys.PilotKey | None, since: tuple[int, str] | None
) -> Verification:
    done, prev = since or (0, GENESIS)  # events 1..done are known intact: walk the rest
    rows = con.execute(
        "SELECT seq, ts, actor, role, action, object, payload, prev_hash, hash, token_id, mac "
        f"FROM audit_events {'WHERE seq > ?' if since else ''} ORDER BY seq",
        [done] if since else [],
    ).fetchall()
    head = keyed_head(con)
    n = done + len(rows)

    def broken(seq: int, reason: str) -> Verification:
        return Verification(False, n, seq, reason, keyed=key is not None)

    if key is not None and head is not None and head[3] != key.key_id:
        return broken(
            1, f"the key file holds key {key.key_id}; this database is sealed with key {head[3]}"
        )
    first_keyed = head[2] if head else None
    for index, row in enumerate(rows, start=done):
        seq, ts, actor, role, action, obj, payload, prev_hash, digest, token_id, mac = row
        expected_seq = index + 1
        if seq != expected_seq:
            return broken(min(seq, expected_seq), f"expected event {expected_seq}, found {seq}")
        if prev_hash != prev:
            return broken(seq, "its previous-hash does not match the event before it")
        if event_hash(seq, ts, actor, role, action, obj, payload, prev_hash, token_id) != digest:
            return broken(seq, "its content does not match its hash")
        keyed_event = key is not None and first_keyed is not None and seq >= first_keyed
        if keyed_event and key is not None and not key.check(f"event:{digest}", mac):
            return broken(
                seq,
                "its MAC does not match: it was written or rewritten without the pilot key",
            )
        prev = digest
    if key is not None and head is None and n:
        return broken(
            1,
            "the chain has events but no keyed head record: it was never sealed, "
            "or its seal was removed",
        )
    if key is not None and head is not None:
        if not key.check(f"head:{head[0]}:{head[1]}:{head[2]}", head[4]):
            return broken(head[0], "the keyed head record was altered (its MAC does not match)")
        if head[0] > n:
            return broken(
                n + 1,
                f"truncated: the keyed head names event {head[0]} but the chain ends at event {n}",
            )
        if head[0] != n or head[1] != prev:
            return broken(
                head[0],
                f"the keyed head names event {head[0]} ({head[1][:12]}), which is not "
                "the newest event: events were removed, replaced or added without the key",
            )
    return Verification(
        True,
        n,
        head=prev,
        keyed=key is not None,
        first_keyed=first_keyed,
        key_id=key.key_id if key else None,
    )


def reseal(con: duckdb.DuckDBPyConnection, key: keys.PilotKey) -> int:
    """MAC every event from the first keyed one (or all, when none is) under `key`; for key
    creation and rotation, which verify the chain first. Returns how many events were sealed."""
    head = keyed_head(con)
    rows = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq").fetchall()
    if not rows:
        return 0
    first = head[2] if head else rows[-1][0]
    sealed = [(event_mac(key, digest), seq) for seq, digest in rows if seq >= first]
    con.executemany("UPDATE audit_events SET mac = ? WHERE seq = ?", sealed)
    write_head(con, key, rows[-1][0], rows[-1][1], first)
    return len(sealed)


def events(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 500,
    before: int | None = None,
) -> list[Event]:
    """Newest first, optionally filtered by actor, action prefix and `seq < before`."""
    given = [("seq < ?", before), ("actor = ?", actor or None)]
    given.append(("action LIKE ?", action + "%" if action else None))
    where = [condition for condition, value in given if value is not None]
    params = [value for _, value in given if value is not None]
    sql = (
        "SELECT seq, ts, actor, role, action, object, payload, prev_hash, hash, token_id "
        "FROM audit_events"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC LIMIT ?"
    rows = con.execute(sql, [*params, limit]).fetchall()
    return [
        Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], r[8], r[9]) for r in rows
    ]


def distinct_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    if column not in {"actor", "action"}:
        raise ValueError(column)
    rows = con.execute(f"SELECT DISTINCT {column} FROM audit_events ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def event_at(con: duckdb.DuckDBPyConnection, seq: int) -> Event | None:
    found = events(con, limit=1, before=seq + 1)  # the event numbered `seq`, or None
    return found[0] if found and found[0].seq == seq else None


def newest_seq(con: duckdb.DuckDBPyConnection, excluding: tuple[str, ...] = ()) -> int:
    """The newest event's number, passing over events whose action is in `excluding` (a report
    covers the chain up to the newest event that is not a report's own); 0 for none."""
    # `NOT IN (NULL)` holds for no row: with nothing excluded there is no condition at all
    where = f" WHERE action NOT IN ({', '.join('?' for _ in excluding)})" if excluding else ""
    row = con.execute(
        f"SELECT coalesce(max(seq), 0) FROM audit_events{where}", list(excluding)
    ).fetchone()
    return int(row[0]) if row else 0
