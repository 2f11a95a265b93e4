"""Users, roles and the permission table of DESIGN.md, enforced inside the library.

Every write goes through `write_as`, which checks the acting user's role in the same
transaction as the write. A denied action changes nothing and is itself audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import duckdb

from pilot.core import audit
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store

T = TypeVar("T")

ROLES = ("admin", "lead", "evaluator", "auditor", "viewer")

PERMISSIONS: dict[str, frozenset[str]] = {
    "manage_users": frozenset({"admin"}),
    "edit_pilot": frozenset({"lead"}),
    "sign": frozenset({"lead"}),
    "kill": frozenset({"admin", "lead"}),
    "grade": frozenset({"lead", "evaluator"}),
    "read": frozenset(ROLES),
    "read_grades": frozenset(ROLES) - {"evaluator"},  # evaluators grade blind
    "audit": frozenset({"admin", "lead", "auditor"}),
}

DESCRIPTIONS = {
    "manage_users": "manage users and roles",
    "edit_pilot": "edit the workflow, draft the bar, import golden sets and run",
    "sign": "sign the bar, promote or demote the stage",
    "kill": "engage the kill switch and roll back",
    "grade": "grade assigned samples",
    "read": "read results, charts and the report",
    "read_grades": "read other people's grades and the review dashboard",
    "audit": "read and verify the audit log",
}

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SYSTEM_ACTOR = "pilot"


@dataclass(frozen=True)
class Actor:
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return can(self.role, permission)


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    _, n, r, p, salt, expected = stored.split("$")
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(digest.hex(), expected)


def find_actor(con: duckdb.DuckDBPyConnection, name: str | None) -> Actor | None:
    if not name:
        return None
    row = con.execute("SELECT name, role FROM users WHERE name = ? AND active", [name]).fetchone()
    return Actor(row[0], row[1]) if row else None


def _deny(store: Store, name: str | None, permission: str, action: str, obj: str) -> None:
    def body(con: duckdb.DuckDBPyConnection) -> None:
        actor = find_actor(con, name)
        audit.record(
            con,
            name or "(anonymous)",
            actor.role if actor else "(none)",
            "access.denied",
            obj,
            {"attempted": action, "permission": permission},
        )

    store.write(body)


def write_as(
    store: Store,
    user: str | None,
    permission: str,
    action: str,
    obj: str,
    body: Callable[[duckdb.DuckDBPyConnection, Actor], T],
) -> T:
    """Run `body` as `user` in one transaction if the user's role allows `permission`."""
    denied: list[str] = []

    def guarded(con: duckdb.DuckDBPyConnection) -> T:
        actor = find_actor(con, user)
        if actor is None or not actor.can(permission):
            denied.append(actor.role if actor else "")
            raise PermissionDenied(_denial_message(user, actor, permission))
        return body(con, actor)

    try:
        return store.write(guarded)
    except PermissionDenied:
        _deny(store, user, permission, action, obj)
        raise


def require(con: duckdb.DuckDBPyConnection, user: str | None, permission: str) -> Actor:
    """Check a read permission (reads are not audited)."""
    actor = find_actor(con, user)
    if actor is None or not actor.can(permission):
        raise PermissionDenied(_denial_message(user, actor, permission))
    return actor


def _denial_message(user: str | None, actor: Actor | None, permission: str) -> str:
    if not user:
        return "no acting user: pass --user NAME or set PILOT_USER"
    if actor is None:
        return f"unknown or inactive user {user!r}"
    roles = ", ".join(sorted(PERMISSIONS[permission]))
    return f"{user} ({actor.role}) may not {DESCRIPTIONS[permission]}; that needs the role {roles}"


def _validate_user(name: str, role: str) -> None:
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InputError(f"user name {name!r}: use letters, digits, '.', '-' or '_'")


def add_user(
    store: Store,
    acting: str | None,
    name: str,
    role: str,
    *,
    password: str | None = None,
    email: str | None = None,
) -> Actor:
    """Create a user. Admin only, except the very first user, who becomes admin."""
    _validate_user(name, role)
    pw_hash = hash_password(password) if password else None

    def insert(con: duckdb.DuckDBPyConnection, actor: Actor, final_role: str) -> Actor:
        if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise InputError(f"user {name!r} already exists")
        con.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, TRUE, ?, ?)",
            [name, final_role, email, pw_hash, audit.utc_now(), actor.name],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "user.add",
            f"user:{name}",
            {"role": final_role, "email": email},
        )
        return Actor(name, final_role)

    def first_user(con: duckdb.DuckDBPyConnection) -> Actor | None:
        if con.execute("SELECT count(*) FROM users").fetchone()[0]:
            return None
        return insert(con, Actor(name, "admin"), "admin")

    created = store.write(first_user)
    if created is not None:
        return created
    return write_as(
        store,
        acting,
        "manage_users",
        "user.add",
        f"user:{name}",
        lambda con, actor: insert(con, actor, role),
    )


def set_role(store: Store, acting: str | None, name: str, role: str) -> None:
    _validate_user(name, role)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        row = con.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
        if not row:
            raise InputError(f"no user {name!r}")
        if row[0] == "admin" and role != "admin" and _admins(con) == 1:
            raise InputError("cannot remove the last admin")
        con.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])
        audit.record(
            con, actor.name, actor.role, "user.role", f"user:{name}", {"from": row[0], "to": role}
        )

    write_as(store, acting, "manage_users", "user.role", f"user:{name}", body)


def set_active(store: Store, acting: str | None, name: str, active: bool) -> None:
    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        row = con.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
        if not row:
            raise InputError(f"no user {name!r}")
        if not active and row[0] == "admin" and _admins(con) == 1:
            raise InputError("cannot deactivate the last admin")
        con.execute("UPDATE users SET active = ? WHERE name = ?", [active, name])
        audit.record(
            con,
            actor.name,
            actor.role,
            "user.activate" if active else "user.deactivate",
            f"user:{name}",
            {},
        )

    write_as(store, acting, "manage_users", "user.active", f"user:{name}", body)


def set_password(store: Store, acting: str | None, name: str, password: str) -> None:
    if len(password) < 8:
        raise InputError("a password needs at least 8 characters")
    pw_hash = hash_password(password)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> None:
        if not con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise InputError(f"no user {name!r}")
        con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [pw_hash, name])
        audit.record(con, actor.name, actor.role, "user.password", f"user:{name}", {})

    write_as(store, acting, "manage_users", "user.password", f"user:{name}", body)


def _admins(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active").fetchone()[0]


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    rows = con.execute(
        "SELECT name, role, email, active, created_at, created_by, password_hash IS NOT NULL "
        "FROM users ORDER BY name"
    ).fetchall()
    keys = ("name", "role", "email", "active", "created_at", "created_by", "has_password")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def recent_failures(con: duckdb.DuckDBPyConnection, name: str, window_minutes: int = 15) -> int:
    """Failed sign-ins for `name` since its last success, within the window."""
    since = (datetime.now(UTC) - timedelta(minutes=window_minutes)).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    rows = con.execute(
        "SELECT action FROM audit_events WHERE object = ? AND ts >= ? "
        "AND action IN ('signin.ok', 'signin.failed') ORDER BY seq DESC",
        [f"user:{name}", since],
    ).fetchall()
    count = 0
    for (action,) in rows:
        if action == "signin.ok":
            break
        count += 1
    return count


def signin_delay(failures: int) -> float:
    """Seconds to wait before checking a password: doubles per recent failure, capped."""
    return 0.0 if failures == 0 else min(0.25 * 2 ** (failures - 1), 8.0)


def authenticate(
    store: Store, name: str, password: str, *, sleep: Callable[[float], None] = time.sleep
) -> Actor | None:
    """Check a local password; every attempt is audited and failures slow the next try."""
    with store.read() as con:
        delay = signin_delay(recent_failures(con, name))
        row = con.execute(
            "SELECT role, password_hash FROM users WHERE name = ? AND active", [name]
        ).fetchone()
    if delay:
        sleep(delay)
    ok = bool(row) and check_password(password, row[1])
    actor = Actor(name, row[0]) if ok and row else None

    def body(con: duckdb.DuckDBPyConnection) -> None:
        audit.record(
            con,
            name,
            actor.role if actor else "(none)",
            "signin.ok" if actor else "signin.failed",
            f"user:{name}",
            {"method": "password"},
        )

    store.write(body)
    return actor


def actor_for_email(store: Store, email: str) -> Actor | None:
    """Map an OIDC identity to a pilot user by e-mail (case-insensitive)."""
    with store.read() as con:
        row = con.execute(
            "SELECT name, role FROM users WHERE lower(email) = lower(?) AND active", [email]
        ).fetchone()
    return Actor(row[0], row[1]) if row else None
