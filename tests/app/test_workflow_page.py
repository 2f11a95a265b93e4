"""AppTest: the Workflow page shows the current version to everyone; only leads can edit it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core.store import Store
from pilot.define import workflow as wf

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "workflow.py")
ROLES = {"priya": "lead", "dana": "viewer", "sam": "auditor"}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def page(user: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["auth_user"] = user
    at.session_state["auth_role"] = ROLES[user]
    at.run()
    assert not at.exception, at.exception
    return at


def text_of(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "success", "info", "error")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_lead_defines_then_edits_and_each_save_is_a_version(db: Store) -> None:
    at = page("priya")
    assert "No workflow recorded yet" in at.info[0].value
    at.text_input(key="wf_name").input("Answer benefits questions")
    at.text_input(key="wf_owner").input("Omar Haddad")
    at.text_input(key="wf_lead").input("Priya Shah")
    at.text_area(key="wf_systems").input("HR policy library\nClaude")
    at.multiselect(key="wf_restricted").select("salary").select("health").run()
    at.button(key="wf_save").click().run()
    assert not at.exception, at.exception
    assert "Saved workflow version 1." in text_of(at)
    assert "Version 1 · hash" in text_of(at)
    with db.read() as con:
        saved = wf.current_workflow(con)
    assert saved is not None and saved.workflow.systems == ("HR policy library", "Claude")
    assert saved.boundary.restricted_fields == ("salary", "health")

    at.text_input(key="wf_name").input("Answer employees' benefits questions").run()
    at.button(key="wf_save").click().run()
    assert "Version 2 · hash" in text_of(at)
    assert at.subheader[0].value == "Answer employees' benefits questions"  # inert, unchanged
    assert [r for r in at.dataframe[-1].value["version"]] == [2, 1]


def test_saving_unchanged_content_adds_no_version(db: Store) -> None:
    wf.seed_demo_workflow(db)
    at = page("priya")
    at.button(key="wf_save").click().run()
    assert "Nothing changed" in at.info[0].value
    with db.read() as con:
        assert len(wf.workflow_history(con)) == 1


def test_invalid_input_names_the_field_and_cannot_be_saved(db: Store) -> None:
    at = page("priya")
    at.text_input(key="wf_name").input("Benefits")
    at.run()
    assert any("process_owner" in e.value.replace("\\", "") for e in at.error)  # inert: escaped
    assert at.button(key="wf_save").disabled


@pytest.mark.parametrize("user", ["dana", "sam"])
def test_readers_see_the_boundary_but_no_edit_controls(db: Store, user: str) -> None:
    wf.seed_demo_workflow(db)
    at = page(user)
    assert at.subheader[0].value == "Answer employees' benefits questions"  # inert, unchanged
    assert "Omar Haddad" in text_of(at) and "Sam Okafor (security)" in text_of(at)
    # the security owner (an auditor) edits nothing but may record a leak check (issue 12)
    leak_check = [] if user == "dana" else ["Run and record the leak check"]
    assert [b.label for b in at.button] == leak_check
    assert not at.text_input and not at.multiselect
    assert (
        "wf_name" not in at.session_state and len(at.dataframe) == 3
    )  # rules, never-leaves, versions


def test_rule_tester_shows_redacted_text(db: Store) -> None:
    at = page("dana")
    at.text_area(key="wf_test").input("Call 07700 900123 or mail sam.patel@example.com").run()
    assert at.code[0].value == "Call [PHONE] or mail [EMAIL]"
