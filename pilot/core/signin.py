"""Password sign-in with a per-account guard kept in the database, so it holds across sessions.

Each attempt first claims the account in one transaction: it is refused while the account is
locked or its next allowed time has not come, and otherwise holds the account while its password
is checked. Two sessions racing for one account conflict on that row, and only one may check.
A failure then sets the next allowed time (0.25 s after the first failure, doubling, capped at
8 s); a success clears it. Ten failures within
15 minutes lock the account until an admin unlocks it. Every attempt is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, check_password, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store

LOCK_AFTER = 10
WINDOW = timedelta(minutes=15)
CHECK_HOLD = timedelta(seconds=5)  # while one attempt's password is checked; then the real wait
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Attempt:
    actor: Actor | None
    outcome: str  # ok | failed | throttled | locked
    wait_seconds: float = 0.0

    @property
    def message(self) -> str:
        if self.outcome == "ok":
            return "signed in"
        if self.outcome == "locked":
            return (
                "This account is locked after 10 failed sign-ins in 15 minutes. "
                "An admin can unlock it (Admin page, or `pilot user unlock NAME`)."
            )
        if self.outcome == "throttled":
            return f"Too many recent failures: wait {self.wait_seconds:.1f} s and try again."
        return "Wrong user name or password. Repeated failures slow down further attempts."


def signin_delay(failures: int) -> float:
    """Seconds before the next attempt after `failures` recent failures: doubles, capped."""
    return 0.0 if failures <= 0 else min(0.25 * 2 ** (failures - 1), 8.0)


def _ts(moment: datetime) -> str:
    return moment.strftime(FMT)


def _parse(text: str) -> datetime:
    return datetime.strptime(text, FMT).replace(tzinfo=UTC)


def _claim(store: Store, name: str) -> tuple[str, float, tuple[str, str | None] | None]:
    """Decide whether this attempt may check the password, and hold the account if so."""

    def body(con: duckdb.DuckDBPyConnection) -> tuple[str, float, tuple[str, str | None] | None]:
        now = datetime.now(UTC)
        user = con.execute(
            "SELECT role, password_hash FROM users WHERE name = ? AND active", [name]
        ).fetchone()
        row = con.execute(
            "SELECT failures, window_start, next_allowed_at, locked_at FROM signin_guard "
            "WHERE name = ?",
            [name],
        ).fetchone()
        failures, window_start, next_allowed, locked = row or (0, _ts(now), _ts(now), None)
        if locked:
            audit.record(con, name, "(none)", "signin.refused", f"user:{name}", {"why": "locked"})
            return "locked", 0.0, None
        wait = (_parse(next_allowed) - now).total_seconds()
        if wait > 0:
            return "throttled", wait, None
        if now - _parse(window_start) > WINDOW:
            failures, window_start = 0, _ts(now)
        con.execute(
            "INSERT INTO signin_guard VALUES (?, ?, ?, ?, NULL) ON CONFLICT (name) DO UPDATE "
            "SET failures = excluded.failures, window_start = excluded.window_start, "
            "next_allowed_at = excluded.next_allowed_at",
            [name, failures, window_start, _ts(now + CHECK_HOLD)],
        )
        return "claimed", 0.0, (user[0], user[1]) if user else None

    return store.write(body)


def authenticate(store: Store, name: str, password: str) -> Attempt:
    """Check a local password under the account guard; every checked attempt is audited."""
    outcome, wait, user = _claim(store, name)
    if outcome != "claimed":
        return Attempt(None, outcome, wait)
    ok = user is not None and check_password(password, user[1])
    actor = Actor(name, user[0]) if ok and user else None

    def body(con: duckdb.DuckDBPyConnection) -> Attempt:
        if actor is not None:
            con.execute(
                "UPDATE signin_guard SET failures = 0, next_allowed_at = window_start "
                "WHERE name = ?",
                [name],
            )
            audit.record(con, name, actor.role, "signin.ok", f"user:{name}", {"method": "password"})
            return Attempt(actor, "ok")
        failures = con.execute(
            "UPDATE signin_guard SET failures = failures + 1 WHERE name = ? RETURNING failures",
            [name],
        ).fetchone()[0]
        wait = timedelta(seconds=signin_delay(failures))
        con.execute(
            "UPDATE signin_guard SET next_allowed_at = ? WHERE name = ?",
            [_ts(datetime.now(UTC) + wait), name],
        )
        audit.record(
            con,
            name,
            "(none)",
            "signin.failed",
            f"user:{name}",
            {"method": "password", "failures": failures},
        )
        if failures >= LOCK_AFTER:
            con.execute(
                "UPDATE signin_guard SET locked_at = ? WHERE name = ?", [audit.utc_now(), name]
            )
            audit.record(
                con, name, "(none)", "signin.locked", f"user:{name}", {"failures": failures}
            )
            return Attempt(None, "locked")
        return Attempt(None, "failed")

    return store.write(body)


def recent_failures(con: duckdb.DuckDBPyConnection, name: str) -> int:
    row = con.execute(
        "SELECT failures, window_start FROM signin_guard WHERE name = ?", [name]
    ).fetchone()
    if not row or datetime.now(UTC) - _parse(row[1]) > WINDOW:
        return 0
    return int(row[0])


def is_locked(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT locked_at FROM signin_guard WHERE name = ?", [name]).fetchone()
    return bool(row and row[0])


def locked_accounts(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM signin_guard WHERE locked_at IS NOT NULL ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def unlock(store: Store, acting: Who, name: str) -> None:
    """An admin unlocks an account and clears its failures; audited."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        row = con.execute("SELECT locked_at FROM signin_guard WHERE name = ?", [name]).fetchone()
        if not row or row[0] is None:
            raise InputError(f"user {name!r} is not locked")
        con.execute(
            "UPDATE signin_guard SET locked_at = NULL, failures = 0, "
            "window_start = ?, next_allowed_at = ? WHERE name = ?",
            [audit.utc_now(), audit.utc_now(), name],
        )
        audit.record_as(con, actor, "user.unlock", f"user:{name}", {"locked_at": row[0]})

    write_as(store, acting, "manage_users", "user.unlock", f"user:{name}", body)
