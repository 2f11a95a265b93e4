"""Browser sessions that survive a reload and a shared link.

Signing in in the app opens a session row and hands the browser a one-time ticket (60 s); the
browser trades it at `POST /auth/session` for a cookie `pilot_session` = `id.secret.mac`: the
mac is an HMAC over id and secret with the pilot key (or, without one, a random server secret
kept in the database), the secret is stored only as its SHA-256. The cookie is HttpOnly and
SameSite=Strict. A session ends on sign-out, when the user's role changes or the user is
deactivated, after IDLE without use, and after LIFETIME whatever the use.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from pilot.core.access import Actor, find_actor
from pilot.core.store import Store, get_setting, put_setting

COOKIE = "pilot_session"
TICKET_TTL = timedelta(seconds=60)
IDLE = timedelta(hours=2)
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Resumed:
    actor: Actor
    session_id: str


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(moment: datetime) -> str:
    return moment.strftime(FMT)


def _parse(text: str) -> datetime:
    return datetime.strptime(text, FMT).replace(tzinfo=UTC)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _server_secret(con: duckdb.DuckDBPyConnection) -> bytes:
    value = get_setting(con, "web_session_secret")
    if value is None:
        value = secrets.token_hex(32)
        put_setting(con, "web_session_secret", value)
    return bytes.fromhex(value)


def _mac(store: Store, con: duckdb.DuckDBPyConnection, message: str) -> str:
    key = store.key()
    if key is not None:
        return key.mac("web-session:" + message)
    return hmac.new(_server_secret(con), message.encode(), hashlib.sha256).hexdigest()


def open_session(store: Store, actor: Actor, now: datetime | None = None) -> tuple[str, str]:
    """A new session for `actor`: (session id, one-time ticket the browser trades for a cookie)."""
    now = now or _now()
    session_id, ticket = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
    store.write(
        lambda con: con.execute(
            "INSERT INTO web_sessions (id, user_name, role, ticket_hash, ticket_expires, "
            "created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                session_id,
                actor.name,
                actor.role,
                _sha(ticket),
                _ts(now + TICKET_TTL),
                _ts(now),
                _ts(now),
            ],
        )
    )
    return session_id, ticket


def redeem(store: Store, ticket: str, now: datetime | None = None) -> str | None:
    """The cookie value for a valid, unused, unexpired ticket (used up); None otherwise."""
    now = now or _now()
    secret = secrets.token_urlsafe(24)

    def body(con: duckdb.DuckDBPyConnection) -> str | None:
        row = con.execute(
            "SELECT id, ticket_expires FROM web_sessions WHERE ticket_hash = ? "
            "AND revoked_at IS NULL",
            [_sha(ticket)],
        ).fetchone()
        if row is None or _parse(row[1]) < now:
            return None
        con.execute(
            "UPDATE web_sessions SET ticket_hash = NULL, ticket_expires = NULL, "
            "secret_hash = ? WHERE id = ?",
            [_sha(secret), row[0]],
        )
        message = f"{row[0]}.{secret}"
        return f"{message}.{_mac(store, con, message)}"

    return store.write(body) if ticket else None


def resume(store: Store, cookie: str | None, now: datetime | None = None) -> Resumed | None:
    """The signed-in user a cookie names, if its session is still good; an expired session, or
    one whose user changed role or left, is revoked on the way."""
    parts = (cookie or "").split(".")
    if len(parts) != 3:
        return None
    session_id, secret, mac = parts
    now = now or _now()

    def body(con: duckdb.DuckDBPyConnection) -> Resumed | None:
        if not hmac.compare_digest(mac, _mac(store, con, f"{session_id}.{secret}")):
            return None
        row = con.execute(
            "SELECT user_name, role, secret_hash, created_at, last_seen FROM web_sessions "
            "WHERE id = ? AND revoked_at IS NULL",
            [session_id],
        ).fetchone()
        if row is None or row[2] is None or not hmac.compare_digest(row[2], _sha(secret)):
            return None
        why = _ended(con, row[0], row[1], _parse(row[3]), _parse(row[4]), now)
        if why:
            _revoke(con, session_id, why, now)
            return None
        if now - _parse(row[4]) >= TOUCH_EVERY:
            con.execute(
                "UPDATE web_sessions SET last_seen = ? WHERE id = ?", [_ts(now), session_id]
            )
        return Resumed(Actor(row[0], row[1]), session_id)

    return store.write(body)


def touch(store: Store, session_id: str, now: datetime | None = None) -> bool:
    """Record use of an open session; False (and revoked) when it has ended."""
    now = now or _now()

    def body(con: duckdb.DuckDBPyConnection) -> bool:
        row = con.execute(
            "SELECT user_name, role, created_at, last_seen FROM web_sessions "
            "WHERE id = ? AND revoked_at IS NULL",
            [session_id],
        ).fetchone()
        if row is None:
            return False
        why = _ended(con, row[0], row[1], _parse(row[2]), _parse(row[3]), now)
        if why:
            _revoke(con, session_id, why, now)
            return False
        con.execute("UPDATE web_sessions SET last_seen = ? WHERE id = ?", [_ts(now), session_id])
        return True

    return store.write(body)


def _ended(
    con: duckdb.DuckDBPyConnection,
    user: str,
    role: str,
    created: datetime,
    last_seen: datetime,
    now: datetime,
) -> str | None:
    if now - last_seen > IDLE:
        return "idle"
    if now - created > LIFETIME:
        return "lifetime"
    fresh = find_actor(con, user)
    if fresh is None:
        return "user deactivated"
    if fresh.role != role:
        return "role changed"
    return None


def _revoke(con: duckdb.DuckDBPyConnection, session_id: str, why: str, now: datetime) -> None:
    con.execute(
        "UPDATE web_sessions SET revoked_at = ?, revoked_why = ? WHERE id = ? "
        "AND revoked_at IS NULL",
        [_ts(now), why, session_id],
    )


def revoke(store: Store, session_id: str, why: str = "signed out") -> None:
    store.write(lambda con: _revoke(con, session_id, why, _now()))


def cookie_header(value: str, *, secure: bool) -> str:
    """The Set-Cookie value: HttpOnly, SameSite=Strict, the whole site, at most LIFETIME."""
    flags = f"; Path=/; HttpOnly; SameSite=Strict; Max-Age={int(LIFETIME.total_seconds())}"
    return f"{COOKIE}={value}{flags}" + ("; Secure" if secure else "")


def ticket_script(ticket: str) -> str:
    """The browser half of sign-in: trade the ticket for the cookie (same origin only)."""
    safe = "".join(c for c in ticket if c.isalnum() or c in "-_")
    return (
        "<script>fetch('/auth/session',{method:'POST',credentials:'same-origin',"
        f"headers:{{'Content-Type':'application/json'}},body:JSON.stringify({{ticket:'{safe}'}})}});"
        "</script>"
    )


def concurrent_use(con: duckdb.DuckDBPyConnection, since: datetime) -> dict[str, int]:
    """Per account, how many pairs of its browser sessions were in use at the same time
    (one's sign-in before the other's last use, both ways round) among sessions used since
    `since`. One person normally works in one browser at a time; an account open in two at once
    is evidence that it may be shared (or that one person uses two devices)."""
    rows = con.execute(
        "SELECT a.user_name, count(*) FROM web_sessions a JOIN web_sessions b "
        "ON a.user_name = b.user_name AND a.id < b.id "
        "AND a.created_at < b.last_seen AND b.created_at < a.last_seen "
        "WHERE a.last_seen >= ? AND b.last_seen >= ? GROUP BY 1 ORDER BY 1",
        [_ts(since), _ts(since)],
    ).fetchall()
    return {str(name): int(n) for name, n in rows}
