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
    assert "last drill 0 day(s) ago" in after["A way to stop it"]["evidence"]


def test_oversight_and_audit_trail_not_met(pilot_store: Store) -> None:
    def unapproved(con) -> None:  # type: ignore[no-untyped-def]
        con.execute(
            "INSERT INTO live_outputs VALUES ('u1', TIMESTAMP '2026-09-28 10:00', '2026-W40', "
            "'q', 'a', NULL, NULL, true, 2, ['t'], 't', NULL, NULL, false, 'test', now())"
        )

    add_approvals(pilot_store, week="2026-W40", n=3, approved=3)
    assert card(pilot_store)["Human oversight"]["status"] == "met"
    pilot_store.write(unapproved)
    item = card(pilot_store)["Human oversight"]
    assert item["status"] == "at risk" and "1 consequential output(s)" in item["missing"]

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
