from __future__ import annotations

import pytest
from helpers import PASSWORD

from pilot.core import access, audit, killswitch, signin
from pilot.core.access import PERMISSIONS
from pilot.core.errors import Halted, InputError, PermissionDenied
from pilot.core.store import Store

# DESIGN.md's table, written out independently of PERMISSIONS.
EXPECTED = {
    "manage_users": {"admin"},
    "register_systems": {"admin"},
    "edit_pilot": {"lead"},
    "run": {"lead", "runner"},  # runner: a token-only role for CI (issue 9)
    "sign": {"lead"},
    "kill": {"admin", "lead"},
    "resume": {"lead"},  # issue 12: releasing the kill switch is a lead's decision
    "grade": {"lead", "evaluator"},
    "read": {"admin", "lead", "evaluator", "auditor", "viewer", "runner"},
    # not in DESIGN.md's table: evaluators grade blind, so they do not read others' grades
    "read_grades": {"admin", "lead", "auditor", "viewer"},
    "audit": {"admin", "lead", "auditor"},
    # issue 13: a lead generates the evidence report; it shows grades, so not evaluators
    "report": {"lead"},
    "read_report": {"admin", "lead", "auditor", "viewer"},
    # issue 12: a lead or the security owner (auditor) records the boundary's leak check
    "check_boundary": {"lead", "auditor"},
}


def test_permission_table_matches_design() -> None:
    assert {k: set(v) for k, v in PERMISSIONS.items()} == EXPECTED


def test_first_user_becomes_admin(store: Store) -> None:
    first = access.add_user(store, None, "root", "viewer")
    assert first.role == "admin"
    second = access.add_user(store, "root", "dana", "viewer")
    assert second.role == "viewer"


def events(store: Store) -> list[audit.Event]:
    with store.read() as con:
        return audit.events(con)


@pytest.mark.parametrize("user", ["priya", "marco", "sam", "dana", "nobody", None])
def test_only_admin_manages_users(users_store: Store, user: str | None) -> None:
    before = events(users_store)
    with pytest.raises(PermissionDenied):
        access.add_user(users_store, user, "newbie", "viewer")
    after = events(users_store)
    with users_store.read() as con:
        assert "newbie" not in {u["name"] for u in access.list_users(con)}
    assert len(after) == len(before) + 1
    assert after[0].action == "access.denied"
    assert after[0].payload["permission"] == "manage_users"


def test_kill_switch_roles(users_store: Store) -> None:
    with pytest.raises(PermissionDenied):
        killswitch.engage(users_store, "marco", "testing")
    state = killswitch.engage(users_store, "priya", "bad answers", test=True)
    assert state.engaged and state.last_tested
    with users_store.read() as con, pytest.raises(Halted, match="bad answers"):
        killswitch.check(con)
    with pytest.raises(PermissionDenied):  # only a lead resumes
        killswitch.release(users_store, "ada")
    with users_store.read() as con, pytest.raises(Halted):
        killswitch.check(con)
    killswitch.release(users_store, "priya")
    with users_store.read() as con:
        killswitch.check(con)
        assert killswitch.state(con).last_tested == state.last_tested
        assert killswitch.holders(con) == [("ada", "admin"), ("priya", "lead")]


def test_password_hash_is_salted_scrypt() -> None:
    a, b = access.hash_password("pw"), access.hash_password("pw")
    assert a != b and a.startswith("scrypt$16384$8$1$")
    assert access.check_password("pw", a) and not access.check_password("px", a)


def test_last_admin_is_protected(users_store: Store) -> None:
    with pytest.raises(InputError, match="last admin"):
        access.set_role(users_store, "ada", "ada", "viewer")
    with pytest.raises(InputError, match="last admin"):
        access.set_active(users_store, "ada", "ada", False)


def test_inactive_user_cannot_act(users_store: Store) -> None:
    access.set_active(users_store, "ada", "priya", False)
    with pytest.raises(PermissionDenied, match="unknown or inactive"):
        killswitch.engage(users_store, "priya", "x")
    assert signin.authenticate(users_store, "priya", PASSWORD).actor is None


def test_bad_role_and_name(users_store: Store) -> None:
    with pytest.raises(InputError, match="role 'boss'"):
        access.add_user(users_store, "ada", "x", "boss")
    with pytest.raises(InputError, match="user name"):
        access.add_user(users_store, "ada", "bad name!", "viewer")
