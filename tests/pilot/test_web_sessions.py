"""Browser sessions: a ticket is traded once for a signed cookie; the cookie names the user
until sign-out, a role change, deactivation, idleness or the session's lifetime ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import seeded_store

from pilot.core import access, web_sessions
from pilot.core.access import Actor
from pilot.core.store import Store

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return seeded_store(tmp_path / "s.duckdb")


def cookie_for(store: Store, name: str = "priya", role: str = "lead") -> tuple[str, str]:
    session_id, ticket = web_sessions.open_session(store, Actor(name, role), T0)
    value = web_sessions.redeem(store, ticket, T0 + timedelta(seconds=5))
    assert value is not None
    return session_id, value


def revoked_why(store: Store, session_id: str) -> str | None:
    with store.read() as con:
        row = con.execute(
            "SELECT revoked_why FROM web_sessions WHERE id = ?", [session_id]
        ).fetchone()
    return row[0] if row else None


def test_cookie_names_the_user_and_the_secret_is_not_stored(store: Store) -> None:
    session_id, value = cookie_for(store)
    resumed = web_sessions.resume(store, value, T0 + timedelta(minutes=30))
    assert resumed == web_sessions.Resumed(Actor("priya", "lead"), session_id)
    secret = value.split(".")[1]
    with store.read() as con:
        stored = con.execute("SELECT * FROM web_sessions").fetchall()
    assert secret not in repr(stored) and value not in repr(stored)


def test_ticket_works_once_and_only_in_time(store: Store) -> None:
    _, ticket = web_sessions.open_session(store, Actor("priya", "lead"), T0)
    assert web_sessions.redeem(store, ticket, T0 + timedelta(seconds=61)) is None  # expired
    _, ticket = web_sessions.open_session(store, Actor("priya", "lead"), T0)
    assert web_sessions.redeem(store, ticket, T0) is not None
    assert web_sessions.redeem(store, ticket, T0) is None  # used up
    assert web_sessions.redeem(store, "not-a-ticket", T0) is None


def test_forged_or_altered_cookies_are_refused(store: Store) -> None:
    session_id, value = cookie_for(store)
    sid, secret, mac = value.split(".")
    later = T0 + timedelta(minutes=1)
    assert web_sessions.resume(store, f"{sid}.{secret}x.{mac}", later) is None
    assert web_sessions.resume(store, f"{sid}.{secret}.{'0' * len(mac)}", later) is None
    assert web_sessions.resume(store, "garbage", later) is None
    assert web_sessions.resume(store, None, later) is None
    assert web_sessions.resume(store, value, later) is not None


def test_sign_out_revokes(store: Store) -> None:
    session_id, value = cookie_for(store)
    web_sessions.revoke(store, session_id)
    assert web_sessions.resume(store, value, T0 + timedelta(minutes=1)) is None
    assert revoked_why(store, session_id) == "signed out"


def test_idle_and_lifetime_expiry(store: Store) -> None:
    session_id, value = cookie_for(store)
    idle = web_sessions.IDLE + timedelta(seconds=10)
    assert web_sessions.resume(store, value, T0 + idle) is None
    assert revoked_why(store, session_id) == "idle"
    # used every hour: still ends at its lifetime
    session_id, value = cookie_for(store)
    moment = T0
    while moment - T0 < web_sessions.LIFETIME - timedelta(hours=1):
        moment += timedelta(hours=1)
        assert web_sessions.resume(store, value, moment) is not None
    assert (
        web_sessions.resume(store, value, T0 + web_sessions.LIFETIME + timedelta(minutes=5)) is None
    )
    assert revoked_why(store, session_id) == "lifetime"


def test_role_change_and_deactivation_revoke(store: Store) -> None:
    session_id, value = cookie_for(store, "sam", "auditor")
    access.set_role(store, "ada", "sam", "viewer")
    assert web_sessions.resume(store, value, T0 + timedelta(minutes=1)) is None
    assert revoked_why(store, session_id) == "role changed"
    session_id, value = cookie_for(store, "dana", "viewer")
    assert web_sessions.touch(store, session_id, T0 + timedelta(minutes=1))
    access.set_active(store, "ada", "dana", False)
    assert not web_sessions.touch(store, session_id, T0 + timedelta(minutes=2))
    assert revoked_why(store, session_id) == "user deactivated"


def test_cookie_header_flags() -> None:
    header = web_sessions.cookie_header("a.b.c", secure=False)
    assert header.startswith("pilot_session=a.b.c;")
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Secure" not in header and "Secure" in web_sessions.cookie_header("a", secure=True)
