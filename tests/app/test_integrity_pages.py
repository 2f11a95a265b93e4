"""AppTest for issue 9: the Audit page checks records with the key; sign-in lockout, the demo
banner and the Admin page's defaults and unlock."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import PASSWORD, seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core import access, signin
from pilot.core.store import Store, put_setting
from pilot.define.bar_versions import save_draft, sign_bar, signature_hash
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def attempt(name: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    at.text_input(key="signin_name").input(name)
    at.text_input(key="signin_password").input(password)
    at.button[0].click().run()
    assert not at.exception
    return at


def test_audit_page_names_a_resigned_bar_edit_in_words(db: Store) -> None:
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.99),),
        min_cases=20,
        when_unsure="hand over to HR",
    )
    save_draft(db, "priya", bar)
    sign_bar(db, "priya")
    at = attempt("sam")
    at.switch_page("views/audit.py").run()
    at.button(key="audit_verify").click().run()
    assert at.success[0].value.startswith("intact since event 1")
    assert "1 bar versions" in at.success[0].value
    with db.transaction() as con:  # finding 1: lower the threshold, recompute both hashes
        raw, signed_at = con.execute(
            "SELECT bar, signed_at FROM bar_versions WHERE version = 1"
        ).fetchone()
        edited = json.loads(raw)
        edited["criteria"][0]["threshold"] = 0.10
        digest = AcceptanceBar.model_validate(edited).content_hash
        con.execute(
            "UPDATE bar_versions SET bar = ?, content_hash = ?, signature_hash = ?",
            [json.dumps(edited), digest, signature_hash(1, digest, "priya", signed_at)],
        )
    at.button(key="audit_verify").click().run()
    message = at.error[0].value
    assert message.startswith("NOT INTACT: bar v1: criteria changed after it was signed by priya")


def test_audit_page_says_when_there_is_no_key(db: Store) -> None:
    at = attempt("sam")
    at.switch_page("views/audit.py").run()
    db.key_path.rename(db.key_path.with_suffix(".away"))
    at.button(key="audit_verify").click().run()
    assert "NO PILOT KEY" in at.error[0].value


def test_lockout_message_and_admin_unlock(db: Store) -> None:
    with db.transaction() as con:
        con.execute(
            "INSERT INTO signin_guard VALUES ('marco', 10, '2999-01-01T00:00:00.000000Z', "
            "'2000-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')"
        )
    at = attempt("marco")
    assert "locked" in at.error[0].value and at.text_input(key="signin_name") is not None
    admin = attempt("ada")
    admin.switch_page("views/admin.py").run()
    assert admin.selectbox(key="admin_new_role").value == "viewer"  # "Add user" defaults low
    admin.selectbox(key="admin_unlock_user").select("marco")
    admin.button(key="FormSubmitter:admin_unlock-Unlock").click().run()
    with db.read() as con:
        assert not signin.is_locked(con, "marco")
    assert not attempt("marco").error


def test_demo_passwords_only_for_a_demo_database(db: Store) -> None:
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    assert not at.table and not at.warning
    db.write(lambda con: put_setting(con, "demo", "true"))
    at = AppTest.from_file(MAIN, default_timeout=30).run()
    assert at.warning[0].value.startswith("Demo data:")
    assert "ada-admin-demo" in str(at.table[0].value)
    assert access.ROLES[-1] == "viewer"
