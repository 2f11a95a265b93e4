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
    assert f"Run of record {bad} does NOT pass bar v1: accuracy on all" in shown
    assert "needs work: 1 of 1 criteria fail (accuracy on all)" in shown
    assert "Stage 0 · Evaluation" in shown
    ready = page_as(READY, "dana", "viewer")
    assert not ready.exception
    assert "Stage 0 · Evaluation" in text(ready)
    assert not [b for b in ready.button if "Promote" in str(b.proto)]  # viewers do not promote
    assert len(ready.dataframe) >= 3  # gates, scorecard, history

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
