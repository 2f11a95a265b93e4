"""Issue 9, finding 13 (sign-in): a per-account guard in the database, across all sessions."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from helpers import PASSWORD

from pilot.core import audit, signin
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store


def actions(store: Store, prefix: str = "signin.") -> list[str]:
    with store.read() as con:
        return [e.action for e in audit.events(con, action=prefix)]


def let_time_pass(store: Store, name: str) -> None:
    """Skip the wait the guard imposes (the test's stand-in for seconds passing)."""
    with store.transaction() as con:
        con.execute(
            "UPDATE signin_guard SET next_allowed_at = '2000-01-01T00:00:00.000000Z' "
            "WHERE name = ?",
            [name],
        )


def test_sixteen_sessions_at_once_get_one_guess(
    users_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: 16 sessions each had their own throttle, 2.3 guesses/s. Now the account
    is held in the database while one attempt is checked; the others are turned away.

    Both waits (the hold while a password is checked, 5 s, and the wait after a failure,
    0.25 s) are made an hour here: on a loaded machine a session could start more than 0.25 s
    after the first guess failed and be checked too, a second guess the guard rightly allows.
    The waits themselves are tested in `test_waits_double_across_attempts_and_success_resets`."""
    monkeypatch.setattr(signin, "CHECK_HOLD", timedelta(hours=1))
    monkeypatch.setattr(signin, "signin_delay", lambda failures: 3600.0 if failures else 0.0)
    results: list[signin.Attempt] = []
    barrier = threading.Barrier(16)

    def session(i: int) -> None:
        barrier.wait()
        results.append(signin.authenticate(users_store, "marco", f"guess-{i}"))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(r.outcome for r in results)
    assert outcomes.count("failed") == 1 and outcomes.count("throttled") == 15
    assert actions(users_store) == ["signin.failed"]  # only the checked guess is on record
    with users_store.read() as con:
        assert signin.recent_failures(con, "marco") == 1


def next_allowed(store: Store, name: str) -> datetime:
    with store.read() as con:
        row = con.execute("SELECT next_allowed_at FROM signin_guard WHERE name = ?", [name])
        return datetime.strptime(row.fetchone()[0], signin.FMT).replace(tzinfo=UTC)


def hold_off(store: Store, name: str, seconds: float) -> None:
    """The guard's wait, set long enough that no machine is too slow to try within it."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    with store.transaction() as con:
        con.execute(
            "UPDATE signin_guard SET next_allowed_at = ? WHERE name = ?",
            [moment.strftime(signin.FMT), name],
        )


def test_waits_double_across_attempts_and_success_resets(users_store: Store) -> None:
    before = datetime.now(UTC)
    assert signin.authenticate(users_store, "marco", "wrong").outcome == "failed"
    after = datetime.now(UTC)
    # one failure: the next try waits 0.25 s from the moment it was refused (bounded by the
    # clock read on either side of the attempt, not by how fast this machine is)
    wait = timedelta(seconds=signin.signin_delay(1))
    assert before + wait <= next_allowed(users_store, "marco") <= after + wait
    hold_off(users_store, "marco", 60)
    again = signin.authenticate(users_store, "marco", PASSWORD)  # too soon, even if right
    assert again.outcome == "throttled" and 0 < again.wait_seconds <= 60
    let_time_pass(users_store, "marco")
    ok = signin.authenticate(users_store, "marco", PASSWORD)
    assert ok.outcome == "ok" and ok.actor is not None and ok.actor.name == "marco"
    with users_store.read() as con:
        assert signin.recent_failures(con, "marco") == 0
    assert [signin.signin_delay(n) for n in (1, 2, 3, 6, 9)] == [0.25, 0.5, 1.0, 8.0, 8.0]


def test_ten_failures_in_fifteen_minutes_lock_until_an_admin_unlocks(users_store: Store) -> None:
    for i in range(10):
        let_time_pass(users_store, "marco")
        outcome = signin.authenticate(users_store, "marco", f"guess-{i}").outcome
    assert outcome == "locked"
    let_time_pass(users_store, "marco")
    refused = signin.authenticate(users_store, "marco", PASSWORD)  # the right password too
    assert refused.outcome == "locked" and refused.actor is None and "admin" in refused.message
    assert actions(users_store)[:3] == ["signin.refused", "signin.locked", "signin.failed"]
    with pytest.raises(PermissionDenied):
        signin.unlock(users_store, "priya", "marco")  # a lead may not
    signin.unlock(users_store, "ada", "marco")
    with pytest.raises(InputError, match="not locked"):
        signin.unlock(users_store, "ada", "marco")
    assert actions(users_store, "user.unlock") == ["user.unlock"]
    assert signin.authenticate(users_store, "marco", PASSWORD).outcome == "ok"


def test_failures_older_than_the_window_do_not_count(users_store: Store) -> None:
    for i in range(9):
        let_time_pass(users_store, "marco")
        signin.authenticate(users_store, "marco", f"guess-{i}")
    with users_store.transaction() as con:  # the nine failures are now 16 minutes old
        con.execute(
            "UPDATE signin_guard SET window_start = strftime(now() - INTERVAL 16 MINUTE, "
            "'%Y-%m-%dT%H:%M:%S.%fZ') WHERE name = 'marco'"
        )
    let_time_pass(users_store, "marco")
    assert signin.authenticate(users_store, "marco", "guess-9").outcome == "failed"
    with users_store.read() as con:
        assert signin.recent_failures(con, "marco") == 1 and not signin.is_locked(con, "marco")
