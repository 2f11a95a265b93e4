"""AppTest: the blind grading queue (evaluators, keyboard-ready) and the review dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import seeded_store
from review_data import seed_sampled
from streamlit.testing.v1 import AppTest

from pilot.core import access
from pilot.core.store import Store
from pilot.review import grades, queue

APP = Path(__file__).resolve().parents[2] / "app"
GRADE = str(APP / "views" / "review.py")
DASH = str(APP / "views" / "review_dashboard.py")
HIDDEN = ("claude-secret-model-x", "0.97", "auto_score", "system_config", "ERIN-SECRET-NOTE")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    access.add_user(store, "ada", "erin", "evaluator", password="correct horse battery")
    seed_sampled(store, tmp_path)
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def page_as(path: str, name: str, role: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=30)
    at.session_state["auth_user"] = name
    at.session_state["auth_role"] = role
    return at.run()


def rendered(at: AppTest) -> str:
    """Every piece of text the page put on screen, widgets' labels and values included."""
    parts: list[str] = []
    for kind in ("markdown", "text", "caption", "title", "subheader", "info", "success",
                 "warning", "error", "metric", "text_area", "button", "segmented_control"):  # fmt: skip
        for el in getattr(at, kind, []):
            proto = getattr(el, "proto", None)
            parts.append(str(proto) if proto is not None else repr(el))
    parts += [repr(getattr(el, "value", "")) for el in at.dataframe]
    return "\n".join(parts)


def test_grading_page_is_blind_and_grades_one_item_at_a_time(db: Store) -> None:
    # erin grades the first doubled item with a note marco must never see
    with db.read() as con:
        doubled = con.execute(
            "SELECT output_id FROM sample_items WHERE graders = 2 ORDER BY position LIMIT 1"
        ).fetchone()[0]
    db.write(lambda con: con.execute(
        "INSERT INTO assignments VALUES (?, 1, 'erin', '2026-01-01T00:00:00Z')", [doubled]))  # fmt: skip
    grades.grade(db, "erin", doubled, "incorrect", "critical", note="ERIN-SECRET-NOTE")

    at = page_as(GRADE, "marco", "evaluator")
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader][0] == "Your queue: 20 items, 0 done"
    text = rendered(at)
    assert "How many days of leave do I get?" in text
    assert "<mark>Employees receive 25 days of annual leave each year.</mark>" in text
    for hidden in HIDDEN:
        assert hidden not in text, hidden
    shortcuts = {b.key: b.proto.shortcut for b in at.button}
    assert shortcuts["rv_verdict_correct"] == "1"
    assert shortcuts["rv_verdict_partly"] == "2"
    assert shortcuts["rv_verdict_incorrect"] == "3"

    first = queue.next_item(db, "marco")
    at.button(key="rv_sev_btn_major").click().run()
    at.button(key="rv_verdict_incorrect").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Your queue: 20 items, 1 done"
    with db.read() as con:
        row = con.execute(
            "SELECT verdict, severity, citations_support FROM current_grades "
            "WHERE output_id = ? AND evaluator = 'marco'",
            [first],
        ).fetchone()
    assert row == ("incorrect", "major", True)
    assert queue.next_item(db, "marco") != first
    for hidden in HIDDEN:  # the second item is blind too, even after erin's grade exists
        assert hidden not in rendered(at), hidden


def test_grading_page_resumes_and_is_for_graders_only(db: Store) -> None:
    held = queue.next_item(db, "marco")
    at = page_as(GRADE, "marco", "evaluator")
    assert f"live output: {held}" in rendered(at)
    viewer = page_as(GRADE, "dana", "viewer")
    assert [e.value for e in viewer.error] == ["Your role (viewer) cannot open this page."]


def test_dashboard_shows_grades_agreement_and_is_closed_to_evaluators(db: Store) -> None:
    for who in ("marco", "erin"):
        while (item := queue.next_item(db, who)) is not None:
            verdict = "correct" if hash(item) % 3 or who == "marco" else "incorrect"
            grades.grade(db, who, item, verdict, "none" if verdict == "correct" else "critical",
                         note=f"{who} note")  # fmt: skip
    at = page_as(DASH, "dana", "viewer")
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Graded outputs"] == "20"
    windows = at.dataframe[0].value  # AppTest does not expose dataframe keys: page order
    assert windows["week"].to_list() == ["2026-W40"] and windows["graded"].to_list() == [20]
    progress = at.dataframe[1].value
    assert dict(zip(progress["evaluator"], progress["graded"], strict=True)) == {
        "erin": 2,
        "marco": 20,
    }
    assert not [b for b in at.button if b.key == "rv_draw"]  # viewers change nothing
    blocked = page_as(DASH, "marco", "evaluator")
    assert [e.value for e in blocked.error] == ["Your role (evaluator) cannot open this page."]
    lead = page_as(DASH, "priya", "lead")
    assert lead.button(key="rv_draw") is not None
    json.dumps(metrics)


def test_lead_records_an_approval_and_grows_the_goldenset(db: Store, tmp_path: Path) -> None:
    from pilot.goldensets import versions as gs

    seed = tmp_path / "gs.jsonl"
    seed.write_text(json.dumps({
        "id": "c-1", "question": "Leave?", "expected_answer": "25 days",
        "sources": [{"id": "leave", "title": "Leave", "text": "You get 25 days."}],
        "evidence": ["You get 25 days."], "tags": [], "answerable": True,
        "consequential": False}) + "\n")  # fmt: skip
    gs.import_goldenset(db, "priya", seed, name="benefits")
    item = queue.next_item(db, "marco")
    grades.grade(db, "marco", item, "correct", "none")

    at = page_as(DASH, "priya", "lead")
    pick = at.selectbox(key="rv_ap_pick").value
    at.radio(key="rv_ap_dec").set_value("rejected")
    at.button(key="rv_ap_save").click().run()
    assert not at.exception, at.exception
    assert any(f"Recorded: {pick} rejected by priya." == s.value for s in at.success)
    at.text_input(key="rv_gs_output").input(item)
    at.button(key="rv_gs_add").click().run()
    assert any("Golden set benefits: new version" in s.value for s in at.success)
    with db.read() as con:
        assert con.execute("SELECT decision, approver FROM approvals").fetchall() == [
            ("rejected", "priya")
        ]
        latest = gs.latest_version(con, "benefits")
        assert [c.id for c in gs.load_cases(con, latest)] == ["c-1", f"live-{item}"]


def test_evaluator_changes_an_earlier_grade_of_their_own(db: Store) -> None:
    theirs = queue.next_item(db, "erin")
    grades.grade(db, "erin", theirs, "incorrect", "critical", note="ERIN-SECRET-NOTE")
    at = page_as(GRADE, "marco", "evaluator")
    first = queue.next_item(db, "marco")
    at.button(key="rv_verdict_correct").click().run()
    assert not at.exception, at.exception
    queue_line = at.subheader[0].value
    assert queue_line.endswith(", 1 done")
    assert at.toggle(key="rv_ch_open").label == "Change one of your earlier grades (1)"
    at.toggle(key="rv_ch_open").set_value(True).run()
    pick = at.selectbox(key="rv_ch_pick")
    assert pick.options == [f"{first} · Correct"]  # only marco's own grades
    assert any(t.value == "Your grade now: Correct · citations support it · severity none "
               "(revision 1)" for t in at.text)  # fmt: skip
    for hidden in HIDDEN:
        assert hidden not in rendered(at), hidden
    k = f"rv_ch_{first}"
    at.radio(key=f"{k}_verdict").set_value("partly")
    at.radio(key=f"{k}_severity").set_value("major")
    at.button(key="rv_ch_save").click().run()
    assert [e.value for e in at.error] == [
        f"{first} is already graded by marco: a change needs its reason"
    ]
    with db.read() as con:
        assert len(grades.history(con, first, "marco")) == 1  # nothing written
    at.text_input(key=f"{k}_reason").input("the second source contradicts it")
    at.button(key="rv_ch_save").click().run()
    assert not at.exception and not at.error, at.error
    assert any(s.value.startswith(f"Changed {first}: Partly correct") for s in at.success)
    with db.read() as con:
        history = grades.history(con, first, "marco")
        event = con.execute(
            "SELECT actor, payload FROM audit_events WHERE action = 'grade.change'"
        ).fetchone()
    assert [(g.revision, g.verdict, g.severity, g.reason) for g in history] == [
        (1, "correct", "none", None),
        (2, "partly", "major", "the second source contradicts it"),
    ]
    assert event[0] == "marco" and json.loads(event[1])["reason"] == (
        "the second source contradicts it"
    )
    assert at.subheader[0].value == queue_line  # a change is not a new grade


def test_lead_releases_a_stale_claim_from_the_dashboard(db: Store) -> None:
    left = queue.next_item(db, "marco")
    db.write(lambda con: con.execute(
        "UPDATE assignments SET assigned_at = '2026-01-05T08:00:00.000000Z' WHERE output_id = ?",
        [left]))  # fmt: skip
    fresh = queue.next_item(db, "erin")
    at = page_as(DASH, "priya", "lead")
    assert not at.exception, at.exception
    stale = next(d.value for d in at.dataframe if "evaluator" in d.value.columns
                 and "live output" in d.value.columns)  # fmt: skip
    assert stale["live output"].to_list() == [left] and stale["evaluator"].to_list() == ["marco"]
    button = at.button(key="rv_stale_release")
    assert button.label == "Release 1 claim" and not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success if "Released" in s.value] == ["Released 1 claim."]
    assert at.button(key="rv_stale_release").disabled
    with db.read() as con:
        assert con.execute("SELECT evaluator, output_id FROM assignments").fetchall() == [
            ("erin", fresh)
        ]
