"""Stale claims released by a lead (library and `pilot review release`); an evaluator's own
earlier grades, changed as new revisions with their reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from helpers import run_cli

from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.review import dashboard, grades, queue

OLD = "2026-01-05T08:00:00.000000Z"


def age_claim(store: Store, output_id: str, evaluator: str, when: str = OLD) -> None:
    store.write(
        lambda con: con.execute(
            "UPDATE assignments SET assigned_at = ? WHERE output_id = ? AND evaluator = ?",
            [when, output_id, evaluator],
        )
    )


def events(store: Store, action: str) -> list[tuple[str, str, dict]]:
    with store.read() as con:
        rows = con.execute(
            "SELECT actor, object, payload FROM audit_events WHERE action = ? ORDER BY seq",
            [action],
        ).fetchall()
    return [(a, o, json.loads(d)) for a, o, d in rows]


def test_stale_claims_listed_released_and_handed_on(sampled: Store) -> None:
    left = queue.next_item(sampled, "marco")  # marco opens an item and leaves
    age_claim(sampled, left, "marco")
    fresh = queue.next_item(sampled, "erin")  # erin is working now
    done = queue.next_item(sampled, "priya")  # priya graded hers long ago: no claim now
    grades.grade(sampled, "priya", done, "correct", "none")
    age_claim(sampled, done, "priya")
    with sampled.read() as con:
        stale = queue.stale_claims(con)
        assert [(c.output_id, c.evaluator) for c in stale] == [(left, "marco")]
        assert queue.stale_claims(con, timedelta(days=3650)) == []
        shown = dashboard.status(con, "dana")["stale_claims"]
    assert shown == [{"output_id": left, "evaluator": "marco", "claimed_at": OLD}]
    now = datetime(2026, 1, 5, 13, 30, tzinfo=UTC)
    assert stale[0].age(now) == timedelta(hours=5, minutes=30)
    assert stale[0].held_for(now) == "5 h 30 min"

    with pytest.raises(PermissionDenied):
        queue.release_stale(sampled, "marco")
    with pytest.raises(InputError, match="negative"):
        queue.release_stale(sampled, "priya", timedelta(hours=-1))
    released = queue.release_stale(sampled, "priya")
    assert [(c.output_id, c.evaluator) for c in released] == [(left, "marco")]
    with sampled.read() as con:
        holders = dict(con.execute("SELECT evaluator, output_id FROM assignments").fetchall())
        assert queue.stale_claims(con) == []
    assert holders == {"erin": fresh, "priya": done}  # erin's fresh claim and priya's grade stay
    (event,) = [e for e in events(sampled, "queue.release")]
    assert event[0] == "priya" and event[1] == f"live_output:{left}"
    assert event[2]["evaluator"] == "marco" and event[2]["stale_after_hours"] == 4.0
    assert [e[2]["attempted"] for e in events(sampled, "access.denied")] == ["queue.release"]
    # the released item goes to the next evaluator who asks for work
    handed = []
    while (item := queue.next_item(sampled, "erin")) is not None and item != left:
        grades.grade(sampled, "erin", item, "correct", "none")
        handed.append(item)
    assert item == left


def test_release_cli(sampled: Store, capsys: pytest.CaptureFixture[str]) -> None:
    left = queue.next_item(sampled, "marco")
    age_claim(sampled, left, "marco")
    db = str(sampled.path)
    code, out, _ = run_cli(capsys, "--db", db, "--user", "marco", "review", "release", "--json")
    assert code == 4 and out == ""
    code, out, _ = run_cli(
        capsys, "--db", db, "--user", "priya", "review", "release", "--older-than", "-1"
    )
    assert code == 2
    code, out, _ = run_cli(
        capsys, "--db", db, "--user", "priya", "review", "release", "--older-than", "8", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["released"] == [{"output_id": left, "evaluator": "marco", "claimed_at": OLD}]
    code, out, _ = run_cli(capsys, "--db", db, "--user", "priya", "review", "release", "--json")
    assert code == 0 and json.loads(out)["released"] == []


def test_an_evaluator_changes_only_their_own_grade_with_a_reason(sampled: Store) -> None:
    first = queue.next_item(sampled, "marco")
    grades.grade(sampled, "marco", first, "correct", "none", citations_support=True)
    second = queue.next_item(sampled, "marco")
    grades.grade(sampled, "marco", second, "partly", "minor", note="close")
    theirs = queue.next_item(sampled, "erin")
    grades.grade(sampled, "erin", theirs, "incorrect", "major")
    with sampled.read() as con:
        mine = grades.mine(con, "marco")
    assert [g.output_id for g in mine] == [second, first]  # newest first, only marco's
    assert grades.describe(mine[1]) == (
        "Correct · citations support it · severity none (revision 1)"
    )
    with pytest.raises(InputError, match="needs its reason"):
        grades.grade(sampled, "marco", first, "incorrect", "critical")
    with pytest.raises(InputError, match="not in marco's queue"):
        grades.grade(sampled, "marco", theirs, "correct", "none", reason="mine now")
    changed = grades.grade(sampled, "marco", first, "incorrect", "critical",
                           citations_support=False, reason="misread the policy")  # fmt: skip
    assert changed is not None and changed.revision == 2
    with sampled.read() as con:
        (now,) = [g for g in grades.mine(con, "marco") if g.output_id == first]
        history = grades.history(con, first, "marco")
    assert (now.verdict, now.severity, now.reason) == (
        "incorrect",
        "critical",
        "misread the policy",
    )
    assert [(g.revision, g.verdict) for g in history] == [(1, "correct"), (2, "incorrect")]
    (event,) = events(sampled, "grade.change")
    assert event[0] == "marco" and event[2]["reason"] == "misread the policy"
