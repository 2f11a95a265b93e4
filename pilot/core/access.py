"""Users, roles and the permission table of DESIGN.md, enforced inside the library.

Every write goes through `write_as`, which checks the acting user's role in the same
transaction as the write. A denied action changes nothing and is itself audited.

Who acts is a user name (trusted library callers: the app after sign-in, the demo seeder) or an
`Actor` that came from a personal access token (`tokens.authenticate_token`, the CLI's only way
in); a token actor is re-checked on every use (revoked, expired, the user's role lowered) and
every event it writes names its token id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import duckdb

from pilot.core import audit, keys
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.roles import ROLES, TOKEN_ROLES
from pilot.core.store import Store

T = TypeVar("T")


PERMISSIONS: dict[str, frozenset[str]] = {
    "manage_users": frozenset({"admin"}),
    "register_systems": frozenset({"admin"}),
    "edit_pilot": frozenset({"lead"}),
    "run": frozenset({"lead", "runner"}),
    "sign": frozenset({"lead"}),
    "kill": frozenset({"admin", "lead"}),
    "resume": frozenset({"lead"}),  # releasing the kill switch is a lead's decision
    "grade": frozenset({"lead", "evaluator"}),
    "read": frozenset(TOKEN_ROLES),
    "read_grades": frozenset(ROLES) - {"evaluator"},  # evaluators grade blind
    "audit": frozenset({"admin", "lead", "auditor"}),
    "report": frozenset({"lead"}),  # generate the evidence report
    "read_report": frozenset(ROLES) - {"evaluator"},  # it shows grades: evaluators grade blind
    # a lead or the security owner (an auditor) records the data boundary's leak check
    "check_boundary": frozenset({"lead", "auditor"}),
}

DESCRIPTIONS = {
    "manage_users": "manage users and roles",
    "register_systems": "register the systems the app may run",
    "edit_pilot": "edit the workflow, draft the bar and import golden sets",
    "run": "start or resume runs",
    "sign": "sign the bar, promote or demote the stage",
    "kill": "engage the kill switch and roll back",
    "resume": "release the kill switch",
    "grade": "grade assigned samples",
    "read": "read results, charts and the report",
    "read_grades": "read other people's grades and the review dashboard",
    "audit": "read and verify the audit log",
    "report": "generate the evidence report",
    "read_report": "download and replay the evidence report",
    "check_boundary": "record a leak check of the data boundary",
}

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SYSTEM_ACTOR = "pilot"


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    token_id: str | None = None

    def can(self, permission: str) -> bool:
        return can(self.role, permission)


Who = str | Actor | None  # a user name, a token actor, or nobody


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def permissions_of(role: str) -> frozenset[str]:
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)


def within(token_role: str, user_role: str) -> bool:
    """A token's role is no higher than its user's: it grants a subset of the user's rights."""
    return permissions_of(token_role) <= permissions_of(user_role)


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


def name_of(who: Who) -> str | None:
    return who.name if isinstance(who, Actor) else who


def token_actor(con: duckdb.DuckDBPyConnection, token_id: str) -> Actor | None:
    """The actor a token acts as now, or None if it is revoked, expired or out of role."""
    row = con.execute(
        "SELECT t.user_name, t.role, t.expires_at, t.revoked_at, u.role FROM access_tokens t "
        "JOIN users u ON u.name = t.user_name AND u.active WHERE t.token_id = ?",
        [token_id],
    ).fetchone()
    if row is None or row[3] is not None:
        return None
    if row[2] is not None and row[2] <= audit.utc_now():
        return None
    if not within(row[1], row[4]):
        return None
    return Actor(row[0], row[1], token_id)


def find_actor(con: duckdb.DuckDBPyConnection, who: Who) -> Actor | None:
    """The acting user as the database says now; a token actor is re-checked in full."""
    if isinstance(who, Actor) and who.token_id:
        return token_actor(con, who.token_id)
    name = name_of(who)
    if not name:
        return None
    row = con.execute("SELECT name, role FROM users WHERE name = ? AND active", [name]).fetchone()
    return Actor(row[0], row[1]) if row else None


def _deny(store: Store, who: Who, permission: str, action: str, obj: str) -> None:
    name = name_of(who)

    def body(con: duckdb.DuckDBPyConnection) -> None:
        actor = find_actor(con, who)
        keys.set_token(con, who.token_id if isinstance(who, Actor) else None)
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
    user: Who,
    permission: str,
    action: str,
    obj: str,
    body: Callable[[duckdb.DuckDBPyConnection, Actor], T],
) -> T:
    """Run `body` as `user` in one transaction if the user's role allows `permission`. A
    denial, by the role or by `body` itself (an output not in an evaluator's queue), changes
    nothing and is audited in a transaction of its own."""

    def guarded(con: duckdb.DuckDBPyConnection) -> T:
        actor = find_actor(con, user)
        if actor is None or not actor.can(permission):
            raise PermissionDenied(_denial_message(user, actor, permission))
        keys.set_token(con, actor.token_id)
        return body(con, actor)

    try:
        return store.write(guarded)
    except PermissionDenied:
        _deny(store, user, permission, action, obj)
        raise


def require(con: duckdb.DuckDBPyConnection, user: Who, permission: str) -> Actor:
    """Check a read permission (reads are not audited)."""
    actor = find_actor(con, user)
    if actor is None or not actor.can(permission):
        raise PermissionDenied(_denial_message(user, actor, permission))
    return actor


def _denial_message(user: Who, actor: Actor | None, permission: str) -> str:
    if not user:
        return "no acting user: set PILOT_TOKEN to a token from `pilot token create`"
    if actor is None:
        if isinstance(user, Actor) and user.token_id:
            return f"token {user.token_id} is revoked, expired or no longer within its user's role"
        return f"unknown or inactive user {name_of(user)!r}"
    roles = ", ".join(sorted(PERMISSIONS[permission]))
    who = f"{actor.name} ({actor.role}{', token ' + actor.token_id if actor.token_id else ''})"
    return f"{who} may not {DESCRIPTIONS[permission]}; that needs the role {roles}"


def _validate_user(name: str, role: str) -> None:
    if role not in ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InputError(f"user name {name!r}: use letters, digits, '.', '-' or '_'")


def add_user(
    store: Store,
    acting: Who,
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


def set_role(store: Store, acting: Who, name: str, role: str) -> None:
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


def set_active(store: Store, acting: Who, name: str, active: bool) -> None:
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


def set_password(store: Store, acting: Who, name: str, password: str) -> None:
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


def actor_for_email(store: Store, email: str) -> Actor | None:
    """Map an OIDC identity to a pilot user by e-mail (case-insensitive)."""
    with store.read() as con:
        row = con.execute(
            "SELECT name, role FROM users WHERE lower(email) = lower(?) AND active", [email]
        ).fetchone()
    return Actor(row[0], row[1]) if row else None
