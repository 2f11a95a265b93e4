"""Personal access tokens: how the CLI (and later the API) proves who acts.

A token is `pk_<id>_<secret>`: the id is public (it names the token in every audit event), the
secret is 32 random bytes shown once at creation. Only the secret's SHA-256 is stored. A slow
hash (scrypt) protects low-entropy passwords from guessing; a 256-bit random secret cannot be
guessed, so a plain SHA-256 is as safe here and costs microseconds on every command instead of
~50 ms. A token carries a role no higher than its user's (e.g. `runner`, which may only run)
and an optional expiry; revoking, expiring or lowering the user's role ends what it may do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import TOKEN_ROLES, Actor, Who, token_actor, within, write_as
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store

PREFIX = "pk_"
MAX_DAYS = 3650


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    secret: str  # shown once, never stored
    user: str
    role: str
    name: str
    expires_at: str | None


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _parse(secret: str) -> tuple[str, str] | None:
    if not secret.startswith(PREFIX):
        return None
    token_id, _, rest = secret[len(PREFIX) :].partition("_")
    if len(token_id) != 12 or not rest:
        return None
    return token_id, rest


def _expiry(days: int | None) -> str | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"--expires: {days} days; give a whole number from 1 to {MAX_DAYS}")
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def issue(
    con: duckdb.DuckDBPyConnection,
    creator: Actor,
    user: str,
    role: str | None,
    *,
    name: str = "cli",
    days: int | None = None,
) -> IssuedToken:
    """Insert a token and audit it, on the caller's transaction (creator already authorised)."""
    row = con.execute("SELECT role FROM users WHERE name = ? AND active", [user]).fetchone()
    if not row:
        raise InputError(f"--user: no active user {user!r}")
    role = role or row[0]
    if role not in TOKEN_ROLES:
        raise InputError(f"--role: {role!r} is not one of {', '.join(TOKEN_ROLES)}")
    if not within(role, row[0]):
        raise InputError(f"--role: {role} is higher than {user}'s role ({row[0]})")
    name = (name or "cli").strip()[:80] or "cli"
    token_id = secrets.token_hex(6)
    secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    expires_at = _expiry(days)
    con.execute(
        "INSERT INTO access_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [token_id, user, role, name, _sha256(secret), audit.utc_now(), creator.name, expires_at],
    )
    audit.record_as(
        con,
        creator,
        "token.create",
        f"token:{token_id}",
        {"user": user, "role": role, "name": name, "expires_at": expires_at},
    )
    return IssuedToken(token_id, secret, user, role, name, expires_at)


def create_token(
    store: Store,
    acting: Who,
    user: str | None = None,
    role: str | None = None,
    *,
    name: str = "cli",
    days: int | None = None,
) -> IssuedToken:
    """A token for `user` (default: the acting user). Tokens for others need an admin."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> IssuedToken:
        target = user or actor.name
        if target != actor.name and not actor.can("manage_users"):
            raise PermissionDenied(f"{actor.name} ({actor.role}) may only create own tokens")
        if target == actor.name and actor.token_id and not within(role or actor.role, actor.role):
            raise InputError(f"--role: {role} is higher than this token's role ({actor.role})")
        return issue(
            con,
            actor,
            target,
            role or (actor.role if target == actor.name else None),
            name=name,
            days=days,
        )

    return write_as(store, acting, "read", "token.create", f"user:{user or '-'}", body)


def authenticate_token(store: Store, secret: str | None) -> Actor:
    """The actor behind a token secret (`PILOT_TOKEN`, or an API bearer token); refuses with
    PermissionDenied (exit 4) when it is missing, unknown, revoked, expired or out of role."""
    if not secret:
        raise PermissionDenied(
            "no token: set PILOT_TOKEN to a token from `pilot token create` "
            "(`pilot init` and `pilot demo` print the first ones)"
        )
    parsed = _parse(secret.strip())
    if parsed is None:
        raise PermissionDenied("PILOT_TOKEN is not a pilot token (expected pk_<id>_<secret>)")
    token_id = parsed[0]
    with store.read() as con:
        row = con.execute(
            "SELECT secret_sha256 FROM access_tokens WHERE token_id = ?", [token_id]
        ).fetchone()
        if row is None or not hmac.compare_digest(row[0], _sha256(secret.strip())):
            raise PermissionDenied(f"token {token_id}: unknown token or wrong secret")
        actor = token_actor(con, token_id)
    if actor is None:
        raise PermissionDenied(
            f"token {token_id} is revoked, expired, or its user is inactive or now has a lower "
            "role than the token"
        )
    return actor


def list_tokens(con: duckdb.DuckDBPyConnection, actor: Actor) -> list[dict[str, Any]]:
    """Every token for an admin; one's own otherwise. Never the secret or its hash."""
    sql = (
        "SELECT token_id, user_name, role, name, created_at, created_by, expires_at, "
        "revoked_at, revoked_by FROM access_tokens"
    )
    params: list[Any] = []
    if not actor.can("manage_users"):
        sql += " WHERE user_name = ?"
        params.append(actor.name)
    rows = con.execute(sql + " ORDER BY created_at", params).fetchall()
    keys = ("id", "user", "role", "name", "created_at", "created_by", "expires_at")
    now = audit.utc_now()
    found = []
    for row in rows:
        item = dict(zip(keys, row[:7], strict=True)) | {"revoked_at": row[7], "revoked_by": row[8]}
        expired = row[6] is not None and row[6] <= now
        item["state"] = "revoked" if row[7] else "expired" if expired else "active"
        found.append(item)
    return found


def unrevoked_expiry(con: duckdb.DuckDBPyConnection, now: str) -> tuple[int, int]:
    """(unrevoked tokens already expired, unrevoked tokens that never expire) at `now`."""
    expired, never = con.execute(
        "SELECT count(*) FILTER (WHERE expires_at IS NOT NULL AND expires_at < ?), "
        "count(*) FILTER (WHERE expires_at IS NULL) FROM access_tokens WHERE revoked_at IS NULL",
        [now],
    ).fetchone()
    return int(expired), int(never)


def revoke_token(store: Store, acting: Who, token_id: str) -> None:
    """Revoke a token: its own user or an admin may."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        row = con.execute(
            "SELECT user_name, revoked_at FROM access_tokens WHERE token_id = ?", [token_id]
        ).fetchone()
        if row is None:
            raise InputError(f"no token {token_id!r} (see `pilot token list`)")
        if row[0] != actor.name and not actor.can("manage_users"):
            raise PermissionDenied(f"{actor.name} may not revoke {row[0]}'s token")
        if row[1] is not None:
            raise InputError(f"token {token_id} was already revoked at {row[1]}")
        con.execute(
            "UPDATE access_tokens SET revoked_at = ?, revoked_by = ? WHERE token_id = ?",
            [audit.utc_now(), actor.name, token_id],
        )
        audit.record_as(con, actor, "token.revoke", f"token:{token_id}", {"user": row[0]})

    write_as(store, acting, "read", "token.revoke", f"token:{token_id}", body)


__all__ = ["IssuedToken", "authenticate_token", "create_token", "list_tokens", "revoke_token"]
