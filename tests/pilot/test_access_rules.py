"""The rules of `pilot.core.access` one by one: what a denial says and records, what each user
change writes and refuses, the password format, and which token roles fit within a user's.

Written against mutants of access.py that no test noticed (docs/testing.md, Survivors). Users
here have no password unless a test needs one, so no scrypt work is spent on the fixture."""

from __future__ import annotations

import hashlib
import re

import pytest

from pilot.core import access, audit, tokens
from pilot.core.access import Actor
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store

TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.fixture
def people(store: Store) -> Store:
    """root (the first user, so admin), then a lead, a viewer and an auditor, no passwords."""
    access.add_user(store, None, "root", "viewer")
    access.add_user(store, "root", "priya", "lead")
    access.add_user(store, "root", "dana", "viewer", email="Dana@Example.com")
    access.add_user(store, "root", "sam", "auditor")
    return store


def last_event(store: Store) -> audit.Event:
    with store.read() as con:
        return audit.events(con, limit=1)[0]


def denial(store: Store, who: access.Who, permission: str) -> str:
    with store.read() as con, pytest.raises(PermissionDenied) as raised:
        access.require(con, who, permission)
    return str(raised.value)


def test_each_denial_says_who_was_refused_and_which_role_is_needed(people: Store) -> None:
    no_user = "no acting user: set PILOT_TOKEN to a token from `pilot token create`"
    assert denial(people, None, "read") == no_user
    assert denial(people, "", "read") == no_user
    assert denial(people, "ghost", "read") == "unknown or inactive user 'ghost'"
    assert denial(people, Actor("dana", "viewer", "tok_gone"), "read") == (
        "token tok_gone is revoked, expired or no longer within its user's role"
    )
    assert denial(people, "dana", "sign") == (
        "dana (viewer) may not sign the bar, promote or demote the stage; that needs the role lead"
    )
    assert denial(people, "sam", "kill") == (
        "sam (auditor) may not engage the kill switch and roll back; "
        "that needs the role admin, lead"
    )
    token = tokens.create_token(people, "dana")
    actor = tokens.authenticate_token(people, token.secret)
    assert denial(people, actor, "grade") == (
        f"dana (viewer, token {token.token_id}) may not grade assigned samples; "
        "that needs the role evaluator, lead"
    )


def test_require_returns_the_actor_the_database_names(people: Store) -> None:
    with people.read() as con:
        assert access.require(con, "priya", "sign") == Actor("priya", "lead")
        # the caller's idea of the role counts for nothing: the database's is read
        assert access.require(con, Actor("sam", "lead"), "audit") == Actor("sam", "auditor")
        with pytest.raises(PermissionDenied):
            access.require(con, Actor("sam", "lead"), "sign")


def test_a_denied_write_runs_nothing_and_records_who_tried_what(people: Store) -> None:
    ran: list[str] = []

    def body(con: object, actor: Actor) -> None:
        ran.append(actor.name)

    for who, actor, role in (
        ("dana", "dana", "viewer"),
        ("ghost", "ghost", "(none)"),
        (None, "(anonymous)", "(none)"),
    ):
        with pytest.raises(PermissionDenied):
            access.write_as(people, who, "sign", "bar.sign", "bar:7", body)
        event = last_event(people)
        assert (event.actor, event.role, event.action, event.object, event.token_id) == (
            actor,
            role,
            "access.denied",
            "bar:7",
            None,
        )
        assert event.payload == {"attempted": "bar.sign", "permission": "sign"}
    assert ran == []

    token = tokens.create_token(people, "dana")
    actor_of_token = tokens.authenticate_token(people, token.secret)
    with pytest.raises(PermissionDenied):
        access.write_as(people, actor_of_token, "sign", "bar.sign", "bar:7", body)
    event = last_event(people)
    assert (event.actor, event.role, event.token_id) == ("dana", "viewer", token.token_id)
    assert ran == []


def test_an_allowed_write_runs_as_the_actor_and_names_its_token(people: Store) -> None:
    def body(con: object, actor: Actor) -> Actor:
        audit.record(con, actor.name, actor.role, "test.write", "x:1")  # type: ignore[arg-type]
        return actor

    assert access.write_as(people, "priya", "sign", "test.write", "x:1", body) == Actor(
        "priya", "lead"
    )
    assert last_event(people).token_id is None
    token = tokens.create_token(people, "priya")
    actor = tokens.authenticate_token(people, token.secret)
    assert access.write_as(people, actor, "sign", "test.write", "x:1", body) == actor
    event = last_event(people)
    assert (event.action, event.actor, event.token_id) == ("test.write", "priya", token.token_id)


def test_a_token_stops_with_its_user_and_at_its_expiry(people: Store) -> None:
    token = tokens.create_token(people, "priya", days=1)
    with people.read() as con:
        assert access.token_actor(con, token.token_id) == Actor("priya", "lead", token.token_id)
        assert access.find_actor(con, Actor("priya", "lead", token.token_id)) == Actor(
            "priya", "lead", token.token_id
        )
        assert access.token_actor(con, "tok_none") is None
    with people.transaction() as con:  # expiring a second ago
        con.execute(
            "UPDATE access_tokens SET expires_at = ? WHERE token_id = ?",
            ["2000-01-01T00:00:00.000000Z", token.token_id],
        )
    with people.read() as con:
        assert access.token_actor(con, token.token_id) is None
    lasting = tokens.create_token(people, "priya")  # no expiry
    access.set_active(people, "root", "priya", False)
    with people.read() as con:
        assert access.token_actor(con, lasting.token_id) is None
        assert access.find_actor(con, "priya") is None
        assert access.find_actor(con, "root") == Actor("root", "admin")
        assert access.find_actor(con, None) is None
        assert access.find_actor(con, Actor("root", "viewer")) == Actor("root", "admin")


def test_a_new_user_is_recorded_with_who_added_them_and_a_duplicate_is_refused(
    people: Store,
) -> None:
    with people.read() as con:
        users = access.list_users(con)
    assert [u["name"] for u in users] == ["dana", "priya", "root", "sam"]  # by name
    dana = users[0]
    assert {k: v for k, v in dana.items() if k != "created_at"} == {
        "name": "dana",
        "role": "viewer",
        "email": "Dana@Example.com",
        "active": True,
        "created_by": "root",
        "has_password": False,
    }
    assert TS.fullmatch(str(dana["created_at"]))
    assert users[2]["created_by"] == "root" and users[2]["role"] == "admin"
    with people.read() as con:
        added = [e for e in audit.events(con, action="user.add")]
    first, last = added[-1], added[0]
    assert (first.actor, first.role, first.object, first.payload) == (
        "root",
        "admin",
        "user:root",
        {"role": "admin", "email": None},
    )
    assert (last.actor, last.role, last.object, last.payload) == (
        "root",
        "admin",
        "user:sam",
        {"role": "auditor", "email": None},
    )
    assert added[1].payload == {"role": "viewer", "email": "Dana@Example.com"}
    with pytest.raises(InputError, match=r"^user 'dana' already exists$"):
        access.add_user(people, "root", "dana", "lead")
    with pytest.raises(PermissionDenied):  # a second user needs an admin
        access.add_user(people, "priya", "erin", "viewer")


def test_a_password_given_is_stored_hashed_and_checks(people: Store) -> None:
    access.add_user(people, "root", "erin", "lead", password="eight ch")
    with people.read() as con:
        stored = con.execute("SELECT password_hash FROM users WHERE name = 'erin'").fetchone()[0]
        assert {u["name"]: u["has_password"] for u in access.list_users(con)}["erin"] is True
    assert access.check_password("eight ch", stored)
    assert not access.check_password("eight cH", stored)


def test_a_role_change_is_recorded_and_the_last_active_admin_stays(people: Store) -> None:
    access.set_role(people, "root", "dana", "lead")
    event = last_event(people)
    assert (event.actor, event.role, event.action, event.object, event.payload) == (
        "root",
        "admin",
        "user.role",
        "user:dana",
        {"from": "viewer", "to": "lead"},
    )
    with people.read() as con:
        assert access.find_actor(con, "dana") == Actor("dana", "lead")
    with pytest.raises(InputError, match=r"^no user 'ghost'$"):
        access.set_role(people, "root", "ghost", "lead")
    access.set_role(people, "root", "root", "admin")  # the last admin staying admin is fine
    access.set_role(people, "root", "priya", "admin")
    access.set_active(people, "root", "priya", False)  # an inactive admin does not count
    with pytest.raises(InputError, match=r"^cannot remove the last admin$"):
        access.set_role(people, "root", "root", "lead")
    access.set_active(people, "root", "priya", True)
    access.set_role(people, "root", "root", "lead")  # with a second active admin, it may go
    with people.read() as con:
        assert access.find_actor(con, "root") == Actor("root", "lead")
    with pytest.raises(PermissionDenied):
        access.set_role(people, "root", "dana", "viewer")  # root is no admin any more


def test_activating_and_deactivating_are_recorded_and_the_last_admin_stays(
    people: Store,
) -> None:
    access.set_active(people, "root", "dana", False)
    event = last_event(people)
    assert (event.actor, event.action, event.object, event.payload) == (
        "root",
        "user.deactivate",
        "user:dana",
        {},
    )
    with people.read() as con:
        assert {u["name"]: u["active"] for u in access.list_users(con)}["dana"] is False
    access.set_active(people, "root", "dana", True)
    assert last_event(people).action == "user.activate"
    with people.read() as con:
        assert access.find_actor(con, "dana") == Actor("dana", "viewer")
    access.set_active(people, "root", "root", True)  # the last admin kept active is fine
    with pytest.raises(InputError, match=r"^cannot deactivate the last admin$"):
        access.set_active(people, "root", "root", False)
    with pytest.raises(InputError, match=r"^no user 'ghost'$"):
        access.set_active(people, "root", "ghost", False)
    access.set_role(people, "root", "priya", "admin")
    access.set_active(people, "root", "root", False)  # another admin is active
    with people.read() as con:
        assert access.find_actor(con, "root") is None


def test_a_password_change_needs_eight_characters_and_is_recorded(people: Store) -> None:
    with pytest.raises(InputError, match=r"^a password needs at least 8 characters$"):
        access.set_password(people, "root", "dana", "seven c")
    access.set_password(people, "root", "dana", "eight ch")  # exactly 8
    event = last_event(people)
    assert (event.actor, event.action, event.object, event.payload) == (
        "root",
        "user.password",
        "user:dana",
        {},
    )
    with people.read() as con:
        stored = con.execute("SELECT password_hash FROM users WHERE name = 'dana'").fetchone()[0]
        priya = con.execute("SELECT password_hash FROM users WHERE name = 'priya'").fetchone()[0]
    assert access.check_password("eight ch", stored) and priya is None
    with pytest.raises(InputError, match=r"^no user 'ghost'$"):
        access.set_password(people, "root", "ghost", "long enough")
    with pytest.raises(PermissionDenied):
        access.set_password(people, "priya", "dana", "long enough")


def test_the_password_hash_is_scrypt_of_the_password_and_its_salt() -> None:
    salt = bytes(range(16))
    stored = access.hash_password("pässword", salt)
    digest = hashlib.scrypt("pässword".encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert stored == f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
    # the parameters are read from the stored hash: a hash made with others still checks
    cheap = hashlib.scrypt(b"pw", salt=salt, n=2**4, r=2, p=3, dklen=32)
    assert access.check_password("pw", f"scrypt$16${2}${3}${salt.hex()}${cheap.hex()}")
    assert not access.check_password("pw", f"scrypt$16$2$1${salt.hex()}${cheap.hex()}")
    assert not access.check_password("pw", None) and not access.check_password("", "")
    fresh = access.hash_password("pw").split("$")
    assert len(bytes.fromhex(fresh[4])) == 16 and len(bytes.fromhex(fresh[5])) == 32


def test_a_token_role_fits_when_it_grants_no_more_than_the_users() -> None:
    assert access.permissions_of("runner") == {"run", "read"}
    assert access.permissions_of("nobody") == frozenset()
    assert access.within("runner", "lead") and access.within("viewer", "viewer")
    assert not access.within("lead", "runner") and not access.within("runner", "viewer")
    assert Actor("x", "runner").can("run") and not Actor("x", "runner").can("sign")
    assert access.name_of(Actor("x", "lead", "tok")) == "x" and access.name_of("y") == "y"


def test_names_and_roles_of_new_users(people: Store) -> None:
    with pytest.raises(InputError) as raised:
        access.add_user(people, "root", "x", "boss")
    assert str(raised.value) == "role 'boss' is not one of admin, lead, evaluator, auditor, viewer"
    # each allowed punctuation mark is allowed only beside a letter or digit: alone, none is
    for bad in ("", "bad name!", "a/b", ".", "-", "_", "-._"):
        with pytest.raises(InputError) as raised:
            access.add_user(people, "root", bad, "viewer")
        assert str(raised.value) == f"user name {bad!r}: use letters, digits, '.', '-' or '_'"
    assert access.add_user(people, "root", "a.b-c_d9", "viewer") == Actor("a.b-c_d9", "viewer")
    with pytest.raises(InputError, match="role 'boss'"):
        access.set_role(people, "root", "dana", "boss")
    with pytest.raises(InputError, match="user name"):
        access.set_role(people, "root", "bad name", "lead")


def test_a_sign_in_by_e_mail_ignores_case_and_needs_an_active_user(people: Store) -> None:
    assert access.actor_for_email(people, "dana@EXAMPLE.com") == Actor("dana", "viewer")
    assert access.actor_for_email(people, "nobody@example.com") is None
    access.set_active(people, "root", "dana", False)
    assert access.actor_for_email(people, "dana@example.com") is None


def test_each_refused_user_change_records_the_action_and_the_user_it_aimed_at(
    people: Store,
) -> None:
    for change, action in (
        (lambda: access.add_user(people, "priya", "erin", "viewer"), "user.add"),
        (lambda: access.set_role(people, "priya", "dana", "lead"), "user.role"),
        (lambda: access.set_active(people, "priya", "dana", False), "user.active"),
        (lambda: access.set_password(people, "priya", "dana", "long enough"), "user.password"),
    ):
        with pytest.raises(PermissionDenied, match="may not manage users and roles"):
            change()
        event = last_event(people)
        target = "erin" if action == "user.add" else "dana"
        assert (event.actor, event.action, event.object, event.payload) == (
            "priya",
            "access.denied",
            f"user:{target}",
            {"attempted": action, "permission": "manage_users"},
        )
    with people.read() as con:
        assert access.find_actor(con, "dana") == Actor("dana", "viewer")
        assert con.execute("SELECT password_hash FROM users WHERE name = 'dana'").fetchone() == (
            None,
        )
