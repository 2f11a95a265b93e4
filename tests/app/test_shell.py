"""AppTest: sign-in is required, pages are gated by role, Audit and Admin work."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import PASSWORD, seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core import access, audit
from pilot.core.store import Store

APP = Path(__file__).resolve().parents[2] / "app"
MAIN = str(APP / "main.py")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def signed_in(name: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    return at


def page_paths(at: AppTest) -> set[str]:
    pages = set()
    for path in (
        "home",
        "workflow",
        "bar",
        "goldenset",
        "runs",
        "results",
        "review",
        "review_dashboard",
        "readiness",
        "evidence",
        "audit",
        "admin",
    ):
        try:
            at.switch_page(f"views/{path}.py")
            pages.add(path)
        except ValueError:
            pass
    return pages


def test_sign_in_required(db: Store) -> None:
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    assert [t.value for t in at.title] == ["Pilot Kit"]
    assert at.text_input(key="signin_name") is not None
    assert not any("step by step" in s.value for s in at.subheader)


def test_wrong_password_is_refused_and_audited(db: Store) -> None:
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    at.text_input(key="signin_name").input("dana")
    at.text_input(key="signin_password").input("nope")
    at.button[0].click().run()
    assert "Wrong user name or password" in at.error[0].value
    with db.read() as con:
        assert audit.events(con)[0].action == "signin.failed"


STEP_PAGES = {
    "home",
    "workflow",
    "bar",
    "goldenset",
    "runs",
    "results",
    "readiness",
}
# other people's grades, and the evidence report that shows them: every role but evaluators
GRADES = {"review_dashboard", "evidence"}


@pytest.mark.parametrize(
    ("user", "extra"),
    [
        ("ada", {"audit", "admin"} | GRADES),
        ("priya", {"audit", "review"} | GRADES),  # leads grade too
        ("marco", {"review"}),  # evaluators grade blind: no dashboard
        ("sam", {"audit"} | GRADES),
        ("dana", set() | GRADES),
    ],
)
def test_pages_by_role(db: Store, user: str, extra: set[str]) -> None:
    at = signed_in(user)
    assert page_paths(at) == STEP_PAGES | extra


def test_home_checklist(db: Store) -> None:
    at = signed_in("dana")
    assert any("step by step" in s.value for s in at.subheader)
    steps = [m.value for m in at.markdown if "**1. " in m.value or "**7. " in m.value]
    assert len(steps) == 2 and "next" in steps[0]


def test_evaluator_opening_admin_directly_is_stopped(db: Store) -> None:
    at = AppTest.from_file(str(APP / "views/admin.py"), default_timeout=30)
    at.session_state["auth_user"] = "marco"
    at.session_state["auth_role"] = "evaluator"
    at.run()
    assert "cannot open this page" in at.error[0].value
    assert not at.dataframe


def test_audit_page_verifies_and_filters(db: Store) -> None:
    at = signed_in("sam")
    at.switch_page("views/audit.py").run()
    at.button(key="audit_verify").click().run()
    assert at.success[0].value.startswith("intact since event 1")
    at.selectbox(key="audit_actor").select("sam").run()
    frame = at.dataframe[0].value
    assert set(frame["Who"]) == {"sam"}
    with db.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq = 2")
    at.button(key="audit_verify").click().run()
    assert at.error[0].value.startswith("NOT INTACT: audit event 2:")


def test_audit_page_catches_truncation_with_an_anchor(db: Store) -> None:
    at = signed_in("sam")
    at.switch_page("views/audit.py").run()
    at.button(key="audit_verify").click().run()
    anchor = at.code[0].value
    with db.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)")
    at.text_input(key="audit_anchor").input(anchor)
    at.button(key="audit_verify").click().run()
    assert "truncated" in at.error[0].value


def test_admin_adds_user_and_changes_role(db: Store) -> None:
    at = signed_in("ada")
    at.switch_page("views/admin.py").run()
    at.text_input(key="admin_new_name").input("omar")
    at.selectbox(key="admin_new_role").select("viewer")
    at.button(key="FormSubmitter:admin_add-Add user").click().run()
    assert not at.exception
    at.selectbox(key="admin_role_user").select("omar")
    at.selectbox(key="admin_role_role").select("lead")
    at.button(key="FormSubmitter:admin_role-Change role").click().run()
    with db.read() as con:
        roles = {u["name"]: u["role"] for u in access.list_users(con)}
    assert roles["omar"] == "lead"


def test_deactivation_and_role_changes_take_effect_on_the_next_rerun(db: Store) -> None:
    at = signed_in("sam")
    at.switch_page("views/audit.py").run()
    assert [t.value for t in at.title] == ["Audit trail"]
    access.set_role(db, "ada", "sam", "viewer")
    at.run()
    assert "Audit trail" not in [t.value for t in at.title]  # the page left sam's navigation
    assert "audit" not in page_paths(at)
    access.set_active(db, "ada", "sam", False)
    at.run()
    assert at.text_input(key="signin_name") is not None  # back to the sign-in form
    assert not any("step by step" in s.value for s in at.subheader)


def test_kill_switch_is_one_decision_away_for_leads_only(db: Store) -> None:
    from pilot.core import killswitch

    viewer = signed_in("dana")
    assert not [b for b in viewer.button if "Stop all system calls" in b.label]
    at = signed_in("priya")
    at.button(key="FormSubmitter:home_kill-Stop all system calls now").click().run()
    assert "say why" in at.error[0].value.lower()  # a reason is required
    at.text_input(key="home_kill_reason").input("wrong leave answers in production")
    at.checkbox(key="home_kill_drill").check()
    at.button(key="FormSubmitter:home_kill-Stop all system calls now").click().run()
    with db.read() as con:
        state = killswitch.state(con)
    assert state.engaged and state.by == "priya" and state.last_tested
    assert any("ENGAGED by priya" in e.value for e in at.error)
    at.button(key="home_release").click().run()
    with db.read() as con:
        assert not killswitch.state(con).engaged
