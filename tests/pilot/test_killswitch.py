"""The kill switch on its own (`pilot.core.killswitch`): who may engage and release it, what each
writes (the setting, the sentinel file beside the database, the audit event), and that a run
halted by it resumes once it is released.

Every state is read back three ways that do not go through `killswitch.state`: the `settings`
row as stored, the sentinel file's bytes and mode, and the audit event as chained.
"""

from __future__ import annotations

import json
import stat
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import seeded_copy

from pilot.core import audit, killswitch
from pilot.core.access import set_active
from pilot.core.errors import Halted, InputError, PermissionDenied
from pilot.core.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return seeded_copy(tmp_path / "pilot.duckdb")


def stored_setting(store: Store) -> dict | None:
    with store.read() as con:
        row = con.execute("SELECT value FROM settings WHERE key = 'kill_switch'").fetchone()
    return json.loads(row[0]) if row else None


def newest(store: Store) -> audit.Event:
    with store.read() as con:
        return audit.events(con, limit=1)[0]


def moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_the_sentinel_is_the_database_path_plus_kill(store: Store, tmp_path: Path) -> None:
    assert killswitch.sentinel(store) == tmp_path / "pilot.duckdb.kill"


def test_engaging_writes_the_setting_the_sentinel_and_one_audit_event(store: Store) -> None:
    before = datetime.now(UTC)
    state = killswitch.engage(store, "ada", "  wrong answers in production \n")
    after = datetime.now(UTC)
    assert state.engaged and state.reason == "wrong answers in production"
    assert state.by == "ada" and before <= moment(state.at) <= after
    assert state.last_tested == ""  # a real stop, not a drill: no test recorded
    expected = {
        "engaged": True,
        "reason": "wrong answers in production",
        "by": "ada",
        "at": state.at,
        "last_tested": "",
    }
    assert stored_setting(store) == expected == asdict(state)
    sentinel = killswitch.sentinel(store)
    assert json.loads(sentinel.read_text()) == expected
    assert stat.S_IMODE(sentinel.stat().st_mode) == 0o600
    event = newest(store)
    assert (event.actor, event.role, event.action, event.object) == (
        "ada",
        "admin",
        "kill.engage",
        "kill_switch",
    )
    assert event.payload == {"reason": "wrong answers in production", "test": False}
    with store.read() as con:
        assert killswitch.state(con) == state
        with pytest.raises(Halted) as halted:
            killswitch.check(con)
    assert str(halted.value) == (
        f"halted by the kill switch (ada at {state.at}: wrong answers in production)"
    )


def test_a_drill_records_when_it_was_tested_and_a_real_stop_keeps_that(store: Store) -> None:
    drill = killswitch.engage(store, "priya", "monthly drill", test=True)
    assert drill.last_tested == drill.at and newest(store).payload == {
        "reason": "monthly drill",
        "test": True,
    }
    released = killswitch.release(store, "priya")
    assert released.last_tested == drill.at
    real = killswitch.engage(store, "ada", "leaking salaries")
    assert real.last_tested == drill.at and real.at > drill.at
    assert stored_setting(store)["last_tested"] == drill.at


def test_engaging_again_updates_the_reason_and_rewrites_the_sentinel(store: Store) -> None:
    killswitch.engage(store, "ada", "first reason")
    second = killswitch.engage(store, "priya", "second reason")
    sentinel = json.loads(killswitch.sentinel(store).read_text())
    assert sentinel == asdict(second) == stored_setting(store)
    assert (second.reason, second.by) == ("second reason", "priya")


@pytest.mark.parametrize("reason", ["", "   \n\t"])
def test_engaging_without_a_reason_is_refused_and_changes_nothing(
    store: Store, reason: str
) -> None:
    events_before = newest(store).seq
    with pytest.raises(InputError) as refused:
        killswitch.engage(store, "ada", reason)
    assert str(refused.value) == "--reason: say why the system is being stopped"
    assert stored_setting(store) is None and not killswitch.sentinel(store).exists()
    assert newest(store).seq == events_before


@pytest.mark.parametrize("user", ["marco", "sam", "dana", "nobody"])
def test_only_an_admin_or_a_lead_may_engage(store: Store, user: str) -> None:
    with pytest.raises(PermissionDenied):
        killswitch.engage(store, user, "testing")
    assert stored_setting(store) is None and not killswitch.sentinel(store).exists()
    denied = newest(store)
    assert (denied.action, denied.actor, denied.object) == ("access.denied", user, "kill_switch")
    assert denied.payload == {"attempted": "kill.engage", "permission": "kill"}


def test_after_a_failed_engage_the_sentinel_matches_the_setting(store: Store) -> None:
    sentinel = killswitch.sentinel(store)
    sentinel.write_text("left by an engage that never committed")
    with pytest.raises(PermissionDenied):
        killswitch.engage(store, "marco", "testing")
    assert not sentinel.exists()  # the setting is released: a stale file would halt runs
    killswitch.engage(store, "ada", "real stop")
    with pytest.raises(PermissionDenied):
        killswitch.engage(store, "marco", "testing")
    assert sentinel.exists()  # the setting is engaged: the file stays


def test_only_a_lead_may_release_and_a_refusal_leaves_the_stop_in_place(store: Store) -> None:
    engaged = killswitch.engage(store, "ada", "bad answers")
    for user in ("ada", "marco", "sam", "dana", "nobody"):
        with pytest.raises(PermissionDenied):
            killswitch.release(store, user)
        assert stored_setting(store) == asdict(engaged)
        assert killswitch.sentinel(store).exists()
        denied = newest(store)
        assert (denied.action, denied.actor, denied.object) == (
            "access.denied",
            user,
            "kill_switch",
        )
        assert denied.payload == {"attempted": "kill.release", "permission": "resume"}


def test_releasing_writes_the_setting_removes_the_sentinel_and_is_audited(store: Store) -> None:
    drill = killswitch.engage(store, "ada", "drill", test=True)
    before = datetime.now(UTC)
    released = killswitch.release(store, "priya")
    after = datetime.now(UTC)
    expected = {
        "engaged": False,
        "reason": "",
        "by": "priya",
        "at": released.at,
        "last_tested": drill.at,
    }
    assert asdict(released) == expected == stored_setting(store)
    assert before <= moment(released.at) <= after
    assert not killswitch.sentinel(store).exists()
    event = newest(store)
    assert (event.actor, event.role, event.action, event.object) == (
        "priya",
        "lead",
        "kill.release",
        "kill_switch",
    )
    assert event.payload == {"was_engaged": True}
    with store.read() as con:
        killswitch.check(con)  # no Halted
        assert killswitch.state(con) == released


def test_releasing_a_switch_that_was_not_engaged_says_so(store: Store) -> None:
    released = killswitch.release(store, "priya")
    assert not released.engaged and released.last_tested == ""
    assert newest(store).payload == {"was_engaged": False}
    assert stored_setting(store) == asdict(released)


def test_a_database_never_stopped_is_not_halted(store: Store) -> None:
    with store.read() as con:
        assert killswitch.state(con) == killswitch.KillState()
        killswitch.check(con)


def test_holders_are_the_active_admins_and_leads_by_name(store: Store) -> None:
    from pilot.core.access import add_user

    add_user(store, "ada", "bea", "admin", password="correct horse battery")
    add_user(store, "ada", "aaron", "lead", password="correct horse battery")
    with store.read() as con:
        assert killswitch.holders(con) == [
            ("aaron", "lead"),
            ("ada", "admin"),
            ("bea", "admin"),
            ("priya", "lead"),
        ]
    set_active(store, "ada", "bea", False)
    with store.read() as con:
        assert killswitch.holders(con) == [("aaron", "lead"), ("ada", "admin"), ("priya", "lead")]
