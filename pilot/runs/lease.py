"""One owner per run: a lease row with a heartbeat.

Executing a run (start or resume, from the CLI or the app) first takes the run's lease in one
transaction. While the owner lives, a second start or resume is refused with the owner's host,
pid, user and start time (exit 2), so two processes never call the same cases. The owner's
heartbeat thread refreshes the lease every `stale_after / 6` seconds; a lease with no heartbeat
for `stale_after` seconds, or whose process is gone from this host, is taken over, and the
takeover is audited. The lease is released when the execution ends, however it ends.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Who, require
from pilot.core.errors import InputError, RunBusy
from pilot.core.store import Store

STALE_AFTER = float(os.environ.get("PILOT_LEASE_STALE_SECONDS", "30"))


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    user: str
    since: str
    heartbeat_at: str

    def describe(self) -> str:
        return f"{self.user} (pid {self.pid} on {self.host}, since {self.since})"


@dataclass
class Lease:
    """A held lease; `lost` turns true when another process took it over (the heartbeat found
    the row gone), and then this process must make no further call."""

    store: Store
    run_id: str
    token: str
    stale_after: float
    taken_over: Owner | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    lost: bool = False
    beats: int = 0

    def start_heartbeat(self) -> Lease:
        self._thread = threading.Thread(
            target=self._beat, name=f"pilot-lease-{self.run_id}", daemon=True
        )
        self._thread.start()
        return self

    def _beat(self) -> None:
        interval = self.stale_after / 6
        while not self._stop.wait(interval):
            try:
                alive = self.store.write(self._refresh)
            except Exception:  # a busy file: the next beat tries again, well before staleness
                continue
            self.beats += 1
            if not alive:
                self.lost = True
                return

    def _refresh(self, con: duckdb.DuckDBPyConnection) -> bool:
        row = con.execute(
            "UPDATE run_leases SET heartbeat_at = ? WHERE run_id = ? AND token = ? "
            "RETURNING run_id",
            [audit.utc_now(), self.run_id, self.token],
        ).fetchone()
        return row is not None

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

        def body(con: duckdb.DuckDBPyConnection) -> None:
            con.execute(
                "DELETE FROM run_leases WHERE run_id = ? AND token = ?", [self.run_id, self.token]
            )

        self.store.write(body)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(store: Store, user: Who, run_id: str, *, stale_after: float | None = None) -> Lease:
    """Take the run's lease for this process, or raise `RunBusy` naming its live owner."""
    stale_after = STALE_AFTER if stale_after is None else stale_after
    token = uuid.uuid4().hex
    host, pid = socket.gethostname(), os.getpid()

    def body(con: duckdb.DuckDBPyConnection) -> Owner | None:
        actor = require(con, user, "run")
        if not con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
            raise InputError(f"no run {run_id!r}")
        current = owner(con, run_id)
        if current is not None:
            age = _age(current.heartbeat_at)
            if age < stale_after and not _gone(current, host):
                raise RunBusy(
                    f"run {run_id} is being executed by {current.describe()}, last heartbeat "
                    f"{age:.0f}s ago; it was not started again. Wait for it to end, or stop "
                    f"that process: a lease with no heartbeat for {stale_after:.0f}s is taken "
                    "over"
                )
            con.execute("DELETE FROM run_leases WHERE run_id = ?", [run_id])
            audit.record_as(
                con,
                actor,
                "run.lease_takeover",
                f"run:{run_id}",
                {
                    "previous_owner": current.__dict__,
                    "heartbeat_age_seconds": round(age, 1),
                    "reason": "stale" if age >= stale_after else "owner process is gone",
                    "host": host,
                    "pid": pid,
                },
            )
        now = audit.utc_now()
        con.execute(
            "INSERT INTO run_leases VALUES (?, ?, ?, ?, ?, ?, ?)",
            [run_id, token, host, pid, actor.name, now, now],
        )
        return current

    previous = store.write(body)
    return Lease(store, run_id, token, stale_after, previous).start_heartbeat()


def owner(con: duckdb.DuckDBPyConnection, run_id: str) -> Owner | None:
    row = con.execute(
        "SELECT host, pid, user_name, since, heartbeat_at FROM run_leases WHERE run_id = ?",
        [run_id],
    ).fetchone()
    return Owner(*row) if row else None


def live_owners(con: duckdb.DuckDBPyConnection, stale_after: float | None = None) -> dict[str, Any]:
    """Run id -> owner, for leases whose heartbeat is fresh (what the Runs page shows)."""
    stale_after = STALE_AFTER if stale_after is None else stale_after
    rows = con.execute(
        "SELECT run_id, host, pid, user_name, since, heartbeat_at FROM run_leases"
    ).fetchall()
    owners = {r[0]: Owner(*r[1:]) for r in rows}
    return {k: v for k, v in owners.items() if _age(v.heartbeat_at) < stale_after}


def _age(timestamp: str) -> float:
    then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()


def _gone(current: Owner, host: str) -> bool:
    """The owner ran on this host and its process no longer exists (killed, crashed)."""
    if current.host != host:
        return False
    try:
        os.kill(current.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
