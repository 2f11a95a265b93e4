"""The kill switch: one decision halts every system call at once."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from pilot.core import audit, keys
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import Halted, InputError
from pilot.core.store import Store, get_setting, put_setting

KEY = "kill_switch"


@dataclass(frozen=True)
class KillState:
    engaged: bool = False
    reason: str = ""
    by: str = ""
    at: str = ""
    last_tested: str = ""


def state(con: duckdb.DuckDBPyConnection) -> KillState:
    raw = get_setting(con, KEY)
    return KillState(**json.loads(raw)) if raw else KillState()


def check(con: duckdb.DuckDBPyConnection) -> None:
    """Raise `Halted` when the switch is engaged; called before every system call."""
    current = state(con)
    if current.engaged:
        raise Halted(f"halted by the kill switch ({current.by} at {current.at}: {current.reason})")


def sentinel(store: Store) -> Path:
    """A file beside the database whose presence halts runs at once.

    Runners check it before every call (a stat, not a database open); the database setting
    stays the record. `engage` creates it before committing, `release` removes it after.
    """
    return store.path.with_name(store.path.name + ".kill")


def engage(store: Store, user: Who, reason: str, *, test: bool = False) -> KillState:
    if not reason.strip():
        raise InputError("--reason: say why the system is being stopped")

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> KillState:
        now = audit.utc_now()
        previous = state(con)
        new = KillState(
            True, reason.strip(), actor.name, now, now if test else previous.last_tested
        )
        put_setting(con, KEY, json.dumps(asdict(new)))
        audit.record(
            con,
            actor.name,
            actor.role,
            "kill.engage",
            "kill_switch",
            {"reason": new.reason, "test": test},
        )
        keys.write_private(sentinel(store), json.dumps(asdict(new)), exclusive=False)  # 0600
        return new

    try:
        return write_as(store, user, "kill", "kill.engage", "kill_switch", body)
    except BaseException:
        with store.read() as con:
            if not state(con).engaged:
                sentinel(store).unlink(missing_ok=True)
        raise


def release(store: Store, user: Who) -> KillState:
    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> KillState:
        previous = state(con)
        new = KillState(False, "", actor.name, audit.utc_now(), previous.last_tested)
        put_setting(con, KEY, json.dumps(asdict(new)))
        audit.record(
            con,
            actor.name,
            actor.role,
            "kill.release",
            "kill_switch",
            {"was_engaged": previous.engaged},
        )
        return new

    released = write_as(store, user, "resume", "kill.release", "kill_switch", body)
    sentinel(store).unlink(missing_ok=True)
    return released


def holders(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Who can engage it: active users whose role may use the kill switch (of them, a lead may
    also release it)."""
    from pilot.core.access import PERMISSIONS

    roles = sorted(PERMISSIONS["kill"])
    placeholders = ", ".join("?" for _ in roles)
    return [
        (r[0], r[1])
        for r in con.execute(
            f"SELECT name, role FROM users WHERE active AND role IN ({placeholders}) ORDER BY name",
            roles,
        ).fetchall()
    ]
