"""Callable systems an admin registered by name: the only ones the app will import and run.

Typing `module:function` into a page made the server import whatever a lead named (`this:s`
ran). Now an admin registers a target once (`pilot system register`), the registration is
audited, and the Runs page offers only the registered names; a run's config still records the
target, so a run stays reproducible from its record.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store

_TARGET = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
_NAME = re.compile(r"^[\w][\w .\-]{0,63}$")


@dataclass(frozen=True)
class RegisteredSystem:
    name: str
    target: str
    registered_at: str
    registered_by: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def list_systems(con: duckdb.DuckDBPyConnection) -> list[RegisteredSystem]:
    rows = con.execute(
        "SELECT name, target, registered_at, registered_by FROM registered_systems ORDER BY name"
    ).fetchall()
    return [RegisteredSystem(*row) for row in rows]


def find_system(con: duckdb.DuckDBPyConnection, name: str) -> RegisteredSystem | None:
    row = con.execute(
        "SELECT name, target, registered_at, registered_by FROM registered_systems WHERE name = ?",
        [name],
    ).fetchone()
    return RegisteredSystem(*row) if row else None


def register_system(store: Store, user: Who, target: str, name: str) -> RegisteredSystem:
    """Register `target` ("package.module:function") under `name`, as an admin. The target is
    imported once here, so a typo is caught by the admin, not by a lead's run."""
    from pilot.runs.systems.base import PermanentError
    from pilot.runs.systems.callable import load_target

    target, name = target.strip(), name.strip()
    if not _TARGET.match(target):
        raise InputError(
            f"target {target!r}: write it as package.module:function, e.g. my_team.qa:answer"
        )
    if not _NAME.match(name):
        raise InputError(
            f"--name {name!r}: use 1 to 64 letters, digits, spaces, dots, dashes or underscores"
        )

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> RegisteredSystem:
        if find_system(con, name) is not None:
            raise InputError(f"--name {name!r}: a system with this name is already registered")
        try:
            load_target(target)
        except PermanentError as exc:
            raise InputError(str(exc)) from None
        now = audit.utc_now()
        con.execute(
            "INSERT INTO registered_systems VALUES (?, ?, ?, ?)", [name, target, now, actor.name]
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "system.register",
            f"system:{name}",
            {"name": name, "target": target},
        )
        return RegisteredSystem(name, target, now, actor.name)

    return write_as(store, user, "register_systems", "system.register", f"system:{name}", body)


def registered_target(con: duckdb.DuckDBPyConnection, flag: str, value: str) -> str:
    """The import target for `value`, a registered system's name or a registered target, as
    the CLI names it; anything else is refused before it is imported (exit 2, naming `flag`)."""
    systems = list_systems(con)
    for system in systems:
        if value.strip() in (system.name, system.target):
            return system.target
    known = ", ".join(s.name for s in systems) or "none yet"
    raise InputError(
        f"{flag} {value!r}: not a system an admin registered, so it is not imported (registered: "
        f"{known}). Use offline, anthropic or a registered name; an admin adds one with "
        "`pilot system register MODULE:FUNCTION --name NAME` (audited)."
    )
