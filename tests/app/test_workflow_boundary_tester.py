"""AppTest: the Workflow page's tester shows exactly what the edge would send (finding 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core.models import GoldenCase
from pilot.core.store import Store
from pilot.define import workflow as wf
from pilot.define.redaction import bound_case

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "workflow.py")
SAMPLE = "I'm Aoife Brennan, salary £42,000, I have diabetes; call (415) 555-0132."


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def page(user: str, role: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["auth_user"] = user
    at.session_state["auth_role"] = role
    at.run()
    assert not at.exception, at.exception
    return at


def test_tester_enforces_what_the_boundary_says_never_leaves(db: Store) -> None:
    wf.seed_demo_workflow(db)  # never leaves: salary, health
    at = page("dana", "viewer")
    at.text_area(key="wf_test").input(SAMPLE).run()
    shown = at.code[0].value
    assert "42,000" not in shown and "diabetes" not in shown and "555-0132" not in shown
    # the same text as the question of a case, through the edge a run uses
    with db.read() as con:
        boundary = wf.current_workflow(con).boundary
    sent = bound_case(GoldenCase(id="c", question=SAMPLE), boundary).request.question
    assert shown == sent


def test_lead_adds_names_and_the_tester_uses_the_unsaved_edit(db: Store) -> None:
    wf.seed_demo_workflow(db)
    at = page("priya", "lead")
    at.text_area(key="wf_terms").input("names: Aoife Brennan").run()
    at.multiselect(key="wf_restricted").set_value(["salary", "health", "names"]).run()
    at.text_area(key="wf_test").input(SAMPLE).run()
    assert not at.error, [e.value for e in at.error]
    assert "Aoife" not in at.code[0].value and "[NAMES]" in at.code[0].value
    at.button(key="wf_save").click().run()
    with db.read() as con:
        saved = wf.current_workflow(con)
    assert saved.version == 2 and saved.boundary.restricted_terms == {"names": ("Aoife Brennan",)}
