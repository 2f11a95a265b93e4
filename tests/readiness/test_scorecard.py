"""Each scorecard item met and not met, from stored evidence only."""

from __future__ import annotations

import pytest
from readiness_data import add_approvals, run

from pilot.core import killswitch
from pilot.core.store import Store
from pilot.readiness.status import readiness


def card(store: Store) -> dict[str, dict[str, str]]:
    with store.read() as con:
        data = readiness(con, "dana", store.key())
    return {i["name"]: i for i in data["scorecard"]}


def test_scorecard_items_flip_with_evidence(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    before = card(pilot_store)
    assert before["Data boundary"]["status"] == "not met"
    assert "no workflow" in before["Data boundary"]["missing"]
    assert before["Written success criterion"]["status"] == "not met"
    assert before["Grounding and citations"]["status"] == "not met"
    assert before["A way to stop it"]["status"] == "not met"
    assert "never been drilled" in before["A way to stop it"]["missing"]
    assert before["Audit trail"]["status"] == "met"
    assert "keyed chain verifies" in before["Audit trail"]["evidence"]
    assert before["Human oversight"]["status"] == "met"

    run(capsys, pilot_store, "fake_systems:good")
    killswitch.engage(pilot_store, "priya", "quarterly drill", test=True)
    killswitch.release(pilot_store, "priya")
    after = card(pilot_store)
    assert after["Written success criterion"]["status"] == "met"
    assert after["Grounding and citations"]["status"] == "met"
    assert "citation coverage of run" in after["Grounding and citations"]["evidence"]
    assert after["A way to stop it"]["status"] == "met"
    assert "last drill less than an hour ago" in after["A way to stop it"]["evidence"]


def test_oversight_and_audit_trail_not_met(pilot_store: Store) -> None:
    def unapproved(con) -> None:  # type: ignore[no-untyped-def]
        con.execute(
            "INSERT INTO live_outputs VALUES ('u1', TIMESTAMP '2026-09-28 10:00', '2026-W40', "
            "'q', 'a', NULL, NULL, true, 2, ['t'], 't', NULL, NULL, false, 'test', now(), "
            "xor(hash('u1', 0::BIGINT), hash(0::BIGINT)))"
        )

    add_approvals(pilot_store, week="2026-W40", n=3, approved=3)
    assert card(pilot_store)["Human oversight"]["status"] == "met"
    pilot_store.write(unapproved)
    item = card(pilot_store)["Human oversight"]
    assert item["status"] == "at risk" and "1 consequential output " in item["missing"]

    def tamper(con) -> None:  # type: ignore[no-untyped-def]
        con.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")

    pilot_store.write(tamper)
    assert card(pilot_store)["Audit trail"]["status"] == "not met"


def test_access_not_met_without_a_lead(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pilot.core import access

    store = Store(tmp_path / "solo.duckdb")
    access.add_user(store, None, "ada", "admin", password="correct horse battery")
    with store.read() as con:
        from pilot.readiness.scorecard import access as access_item

        item = access_item(con)
    assert item.status == "not met" and "no named lead" in item.missing


def _access(store: Store):  # type: ignore[no-untyped-def]
    from pilot.readiness.scorecard import access as access_item

    with store.read() as con:
        return access_item(con)


def test_shared_accounts_from_evidence_not_names(pilot_store: Store) -> None:
    """One person, one account: two accounts with one e-mail is not met; one account open in
    two browser sessions at the same time is at risk; sessions one after another are fine."""
    from datetime import UTC, datetime, timedelta

    from pilot.core import access, web_sessions

    clean = _access(pilot_store)
    assert clean.status == "met", clean
    assert "no account open in two at once" in clean.evidence
    assert "a password shared and used one person at a time" in clean.evidence

    # priya signs in, works 20 minutes, signs out; then signs in again: no overlap
    t0 = datetime.now(UTC) - timedelta(hours=3)
    priya = access.Actor("priya", "lead")
    first, _ = web_sessions.open_session(pilot_store, priya, t0)
    web_sessions.touch(pilot_store, first, t0 + timedelta(minutes=20))
    second, _ = web_sessions.open_session(pilot_store, priya, t0 + timedelta(minutes=30))
    web_sessions.touch(pilot_store, second, t0 + timedelta(minutes=50))
    assert _access(pilot_store).status == "met"

    # a third browser signs in as priya while the second is still in use: at risk
    third, _ = web_sessions.open_session(pilot_store, priya, t0 + timedelta(minutes=40))
    web_sessions.touch(pilot_store, third, t0 + timedelta(minutes=45))
    shared = _access(pilot_store)
    assert shared.status == "at risk", shared
    assert "account priya was open in two browser sessions at the same time" in shared.missing
    assert "priya open in two at once 1 time" in shared.evidence

    # one person holding two accounts (the same e-mail): not met
    access.add_user(pilot_store, "ada", "priya2", "viewer", email="Priya@Example.com")
    access.add_user(pilot_store, "ada", "priya3", "viewer", email="priya@example.com ")
    two = _access(pilot_store)
    assert two.status == "not met" and "accounts sharing one e-mail: priya2, priya3" in two.missing


def test_stale_drill_old_anchor_and_undecided_outputs_at_stage_2(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """The other sides of three items: a drill over 90 days old (not met), an anchor outside
    the database over 7 days old (at risk), a consequential output at stage 2 with no recorded
    decision (not met once people must approve every output)."""
    import json
    import os
    import time
    from dataclasses import asdict

    from pilot.core import keys
    from pilot.core.store import put_setting

    killswitch.engage(pilot_store, "priya", "drill", test=True)
    killswitch.release(pilot_store, "priya")
    with pilot_store.read() as con:
        drilled = asdict(killswitch.state(con))
    old = json.dumps(drilled | {"last_tested": "2026-01-01T00:00:00.000000Z"})
    pilot_store.write(lambda con: put_setting(con, "kill_switch", old))
    stop = card(pilot_store)["A way to stop it"]
    assert stop["status"] == "not met" and "last drill more than 90 days ago" in stop["missing"]

    witness = keys.witness_path(pilot_store.key())  # type: ignore[arg-type]
    eight_days_ago = time.time() - 8 * 86400
    os.utime(witness, (eight_days_ago, eight_days_ago))
    trail = card(pilot_store)["Audit trail"]
    assert trail["status"] == "at risk" and "anchor older than 7 days" in trail["missing"]
    assert "8.0 days old" in trail["evidence"]

    def at_stage_2_with_an_undecided_output(con) -> None:  # type: ignore[no-untyped-def]
        con.execute(
            "INSERT INTO stage_changes VALUES (1, '2026-10-01', 'priya', 'promote', 1, 2, "
            "NULL, NULL, NULL, 'test')"
        )
        con.execute(
            "INSERT INTO live_outputs VALUES ('u2', TIMESTAMP '2026-10-05 10:00', '2026-W41', "
            "'q', 'a', NULL, NULL, true, 2, ['t'], 't', NULL, NULL, false, 'test', now(), "
            "xor(hash('u2', 0::BIGINT), hash(0::BIGINT)))"
        )

    add_approvals(pilot_store, week="2026-W41", n=2, approved=2)
    pilot_store.write(at_stage_2_with_an_undecided_output)
    oversight = card(pilot_store)["Human oversight"]
    assert oversight["status"] == "not met", oversight
    assert "2 of 3 consequential outputs" in oversight["evidence"]


def test_the_scorecard_judged_at_a_moment(pilot_store: Store) -> None:
    """What the evidence report relies on: `now` and `through` fix the drill's age, the
    anchor's age and the events counted, whatever happens after."""
    from datetime import UTC, datetime, timedelta

    from pilot.core import audit

    killswitch.engage(pilot_store, "priya", "quarterly drill", test=True)
    killswitch.release(pilot_store, "priya")
    with pilot_store.read() as con:
        through = audit.newest_seq(con)
        drilled = datetime.fromisoformat(killswitch.state(con).last_tested.replace("Z", "+00:00"))
    later = drilled.astimezone(UTC) + timedelta(days=100)
    killswitch.engage(pilot_store, "priya", "another drill", test=True)  # after the moment
    with pilot_store.read() as con:
        base = readiness(con, "dana", pilot_store.key())
        data = readiness(con, "dana", pilot_store.key(), later, through)
    items = {i["name"]: i for i in data["scorecard"]}
    assert items["Audit trail"]["evidence"].startswith(f"{through} events")
    shown_now = {i["name"]: i for i in base["scorecard"]}["Audit trail"]["evidence"]
    assert int(shown_now.split()[0]) > through  # judged now, the later events count
    assert "anchor outside the database is 100.0 days old" in items["Audit trail"]["evidence"]
    assert items["Audit trail"]["status"] == "at risk"  # older than 7 days at that moment
    stop = items["A way to stop it"]
    assert stop["status"] == "not met" and "more than 90 days ago" in stop["missing"]
    assert "last drill 100.0 days ago" in stop["evidence"]


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (0.0, "less than an hour"),
        (0.04, "less than an hour"),  # 58 minutes
        (1 / 24, "1 hour"),
        (1.99, "47 hours"),
        (2.0, "2.0 days"),
        (100.0, "100.0 days"),
    ],
)
def test_an_age_reads_in_hours_then_days(days: float, words: str) -> None:
    from pilot.readiness.scorecard import _age

    assert _age(days) == words
