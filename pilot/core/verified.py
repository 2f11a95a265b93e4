"""The part of the audit chain this process has already walked and found intact (issue #14).

A run checks the chain twice: before it is registered and again before it is scored (events
may have been written, or rewritten, in between). Walking the chain costs Python work for every
event (its hash and its MAC), so a database's whole history was walked twice a run. The second
walk now starts where the first ended, when nothing it covered has changed:

- the events the first walk found intact, 1..N, are still byte for byte what it walked: a
  SHA-256, computed by DuckDB, over an unambiguous encoding (`to_json` of every column of
  every row, in order, one a line) of the rows numbered up to N equals the one recorded then,
  and the keyed head still says the same first keyed event;
- then only events N+1.. are walked, from event N's hash, exactly as a full walk would
  (hash, link, MAC), and the keyed head and its witness are checked as always.

So the verdict is the full walk's: a change to any column of any event up to N (a rewrite, a
deletion, an insertion, a renumbering) changes the digest and the whole chain is walked again,
and every later event is checked in full. Only the same key (by id) and the same database file
reuse what was recorded; `pilot audit verify` always walks the whole chain.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb

from pilot.core import audit, keys

PREFIX_SQL = (
    "SELECT sha256(coalesce(string_agg(to_json(e)::VARCHAR, chr(10) ORDER BY seq), '')) "
    "FROM audit_events e WHERE seq <= ?"
)


@dataclass(frozen=True)
class Walked:
    """Events 1..`events` were found intact; `head` is event `events`' hash."""

    events: int
    head: str
    first_keyed: int | None
    digest: str  # PREFIX_SQL over those events


_WALKED: dict[tuple[str, str | None], Walked] = {}
_lock = threading.Lock()


def prefix_digest(con: duckdb.DuckDBPyConnection, events: int) -> str:
    row = con.execute(PREFIX_SQL, [events]).fetchone()
    return str(row[0]) if row else ""


def _database(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT coalesce(path, database_name) FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchone()
    return str(row[0]) if row else ""


def verify(con: duckdb.DuckDBPyConnection, key: keys.PilotKey | None) -> audit.Verification:
    """`audit.verify(con, None, key)`, walking only the events after those this process found
    intact in this database, when those are unchanged (see the module's docstring)."""
    where = (_database(con), key.key_id if key else None)
    with _lock:
        known = _WALKED.get(where)
    since = None
    if known is not None:
        head = audit.keyed_head(con)
        first_keyed = head[2] if head else None
        if first_keyed == known.first_keyed and prefix_digest(con, known.events) == known.digest:
            since = (known.events, known.head)
    result = audit.verify(con, None, key, since=since)
    if result.intact:
        same = since is not None and known is not None and result.events == known.events
        digest = known.digest if same and known else prefix_digest(con, result.events)
        walked = Walked(result.events, result.head, result.first_keyed, digest)
        with _lock:
            _WALKED[where] = walked
    return result


def forget() -> None:
    """Walk every chain in full next time (for tests)."""
    with _lock:
        _WALKED.clear()
