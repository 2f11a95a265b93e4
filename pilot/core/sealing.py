"""Creating and rotating the pilot key, each a recorded event.

`adopt_key` gives a database made before keys (or whose key was never created) its first key:
events from the `key.create` event on are sealed, and verification reports the older ones as
"unkeyed records before event N" (the first keyed event's MAC still pins them, since each hash
covers the one before). `rotate` verifies the chain under the old key, re-MACs it under a new
one and records `key.rotate` in the same transaction, then swaps the key file.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

import duckdb

from pilot.core import audit, keys
from pilot.core.access import SYSTEM_ACTOR, Actor, Who, write_as
from pilot.core.errors import InputError, PilotError
from pilot.core.store import Store


class NotIntact(PilotError):
    """The chain does not verify under the current key: rotating would launder it."""

    exit_code = 1


@dataclass(frozen=True)
class KeyState:
    path: str
    key_id: str
    first_keyed: int | None
    created: bool


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def adopt_key(store: Store) -> KeyState:
    """Make sure the database has a key and its chain is sealed; record `key.create` once."""
    key = store.key()
    created = key is None
    if key is None:
        with store.read() as con:
            head = audit.keyed_head(con)
        if head is not None:
            raise InputError(
                f"{store.key_path}: missing, but this database is sealed with key {head[3]}; "
                f"restore that key file or set {keys.KEY_ENV} to it"
            )
        key = keys.create(store.key_path)

    def body(con: duckdb.DuckDBPyConnection) -> int | None:
        head = audit.keyed_head(con)
        if head is not None:
            return head[2]
        event = audit.record(
            con,
            SYSTEM_ACTOR,
            "system",
            "key.create",
            "pilot_key",
            {"key_id": key.key_id, "os_user": _os_user()},
        )
        return event.seq

    first = store.write(body)
    keys.tighten(*store.private_files())
    return KeyState(str(store.key_path), key.key_id, first, created)


def rotate(store: Store, who: Who) -> KeyState:
    """Re-MAC the chain under a new key (admin only); refuses a chain that does not verify."""
    old = store.key()
    if old is None:
        raise InputError(f"{store.key_path}: no pilot key to rotate; run `pilot init` first")
    new = keys.generate(store.key_path)
    with store.read() as con:
        check = audit.verify(con, None, old)
    if not check.intact:
        raise NotIntact(
            f"refusing to rotate: the chain is broken at event {check.first_bad} "
            f"({check.reason}); re-sealing would hide it"
        )

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> int:
        keys.bind(con, new)
        keys.set_token(con, actor.token_id)
        sealed = audit.reseal(con, new)
        audit.record_as(
            con,
            actor,
            "key.rotate",
            "pilot_key",
            {"from": old.key_id, "to": new.key_id, "resealed_events": sealed},
        )
        head = audit.keyed_head(con)
        return head[2] if head else 1

    staged = keys.stage(new)
    try:
        first = write_as(store, who, "manage_users", "key.rotate", "pilot_key", body)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    os.replace(staged, new.path)  # the database already says the new key: swap the file now
    with store.read() as con:
        head = audit.keyed_head(con)
    if head is not None:
        keys.write_witness(new, head[0], head[1], force=True)
    return KeyState(str(store.key_path), new.key_id, first, True)
