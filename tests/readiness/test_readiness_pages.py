"""AppTest: the Readiness page and Home say the same truth; a lead promotes with the gate met."""

from __future__ import annotations

from pathlib import Path

import pytest
from readiness_data import add_graded, run
from streamlit.testing.v1 import AppTest

from pilot.core.store import Store
from pilot.readiness.stages import current_stage

APP = Path(__file__).resolve().parents[2] / "app"
READY = str(APP / "views" / "readiness.py")
HOME = str(APP / "views" / "home.py")


def page_as(path: str, name: str, role: str) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    at.session_state["auth_user"] = name
    at.session_state["auth_role"] = role
    return at.run()


def text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "text", "caption", "title", "subheader", "info", "success",
                 "warning", "error", "button"):  # fmt: skip
        parts += [str(el.proto) for el in getattr(at, kind, [])]
    return "\n".join(parts)


def test_readiness_and_home_tell_the_same_truth(
    pilot_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOT_DB", str(pilot_store.path))
    bad = run(capsys, pilot_store, "fake_systems:eighth_right")
    home = page_as(HOME, "dana", "viewer")
    assert not home.exception
    shown = text(home)
    assert f"Run of record {bad} does NOT pass bar v1: Accuracy on all cases" in shown
    assert "needs work: 1 of 1 criteria fail (Accuracy on all cases)" in shown
    assert "Stage 0 · Evaluation" in shown
    ready = page_as(READY, "dana", "viewer")
    assert not ready.exception
    assert "Stage 0 · Evaluation" in text(ready)
    assert not [b for b in ready.button if "Promote" in str(b.proto)]  # viewers do not promote
    # the current stage's gate shows its table, the other two are folded until opened (their
    # tables built only then); no stage change yet: no history table
    assert len([e for e in ready.expander if "Gate" in str(e.label)]) == 3
    assert len(ready.dataframe) == 1
    ready.session_state["ready_gate_1"] = True
    assert len(ready.run().dataframe) == 2
    shown = text(ready)
    # the scorecard's sentences in full, not cut at a column's width
    assert "Needs: the kill switch has never been drilled (a stop recorded as a drill)" in shown
    assert "No stage changes yet" in shown
    assert f"run of record passes the signed bar: run {bad} (newest), bar v1: fails" in shown

    good = run(capsys, pilot_store, "fake_systems:good")
    lead = page_as(READY, "priya", "lead")
    assert not lead.exception
    lead.text_input(key="ready_promote_reason").input("golden set passes")
    next(b for b in lead.button if "Promote" in str(b.proto)).click().run()
    assert not lead.exception
    with pilot_store.read() as con:
        assert current_stage(con) == 1
    assert "Stage 1 · Draft" in text(lead)
    shown = text(page_as(HOME, "dana", "viewer"))
    assert f"Run of record {good} passes the signed bar v1" in shown
    assert "Stage 1 · Draft" in shown and "Gate 1 Draft → 2 Approve all needs" in shown

    add_graded(pilot_store, stage=1, n=10, correct=5, week="2026-W41")  # 50%: at risk
    for page in (HOME, READY):
        at = page_as(page, "priya", "lead")
        assert not at.exception
        assert "AT RISK: live accuracy in 2026-W41 is below the bar (5 of 10 correct)" in text(at)


MAIN = str(APP / "main.py")
EVERY_PAGE = ("workflow", "bar", "goldenset", "runs", "results", "review", "review_dashboard",
              "evidence", "audit", "admin")  # fmt: skip


def shell_as(name: str) -> AppTest:
    from helpers import PASSWORD

    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def test_every_page_shows_at_risk_from_the_shell(
    pilot_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pilot.readiness.decisions import promote

    monkeypatch.setenv("PILOT_DB", str(pilot_store.path))
    run(capsys, pilot_store, "fake_systems:good")
    promote(pilot_store, "priya", "golden set passes")
    lead = shell_as("priya")
    assert not [e for e in errors(lead) if "AT RISK" in e]  # stage 1, nothing graded: not at risk

    add_graded(pilot_store, stage=1, n=10, correct=5, week="2026-W41")  # 50% < 80%: at risk
    banner = ("Stage 1 · Draft is AT RISK: live accuracy in 2026-W41 is below the bar "
              "(5 of 10 correct). See 6 · Readiness.")  # fmt: skip
    seen = []
    for page in EVERY_PAGE:
        try:
            lead.switch_page(f"views/{page}.py")
        except ValueError:
            continue
        lead.run()
        assert not lead.exception, page
        assert banner in errors(lead), page
        seen.append(page)
    assert len(seen) >= 8
    lead.switch_page("views/home.py").run()  # Home says it in full itself, once
    assert banner not in errors(lead)
    assert [e for e in errors(lead) if "AT RISK" in e]

    # an evaluator grades blind: the fact, without the graded figures
    grader = shell_as("marco")
    grader.switch_page("views/review.py").run()
    assert "Stage 1 · Draft is AT RISK: see 6 · Readiness." in errors(grader)
    assert not [e for e in errors(grader) if "5 of 10" in e]


def test_results_and_runs_open_on_and_mark_the_run_of_record(
    pilot_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pilot.readiness.record import pin_run

    monkeypatch.setenv("PILOT_DB", str(pilot_store.path))
    good = run(capsys, pilot_store, "fake_systems:good")
    newer = run(capsys, pilot_store, "fake_systems:eighth_right")
    at = shell_as("dana")
    at.switch_page("views/results.py").run()
    assert at.selectbox(key="res_run").value == newer  # unpinned: the newest is of record
    pin_run(pilot_store, "priya", good)  # a lead pins the older run (another config)
    from pilot.readiness.status import home_truth, readiness

    with pilot_store.read() as con:  # Home, Readiness and Results speak for the same run
        assert readiness(con, "dana")["run_of_record"]["run_id"] == good
        assert home_truth(con)["verdict"].startswith(f"Run of record {good} passes")
    at = shell_as("dana")
    at.switch_page("views/results.py").run()
    assert not at.exception
    box = at.selectbox(key="res_run")
    assert box.value == good and "run of record" in box.format_func(good)
    assert "run of record" not in box.format_func(newer)
    at.switch_page("views/runs.py").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "marks" in d.value.columns)
    marks = dict(zip(table["run"], table["marks"], strict=True))
    assert marks == {good: "run of record", newer: ""}
