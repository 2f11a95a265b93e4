"""Single sign-on: with `[auth]` in Streamlit's secrets, the OIDC identity's e-mail maps to a
pilot user; an identity with no pilot account sees no pilot data."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core import access
from pilot.core.store import Store

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "pilot",
    "client_secret": "s",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    access.add_user(store, "ada", "omar", "lead", email="Omar.Haddad@northwind.example")
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def app_as(email: str, logged_in: bool = True) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"email": email, "is_logged_in": logged_in}
    return at.run()


def test_identity_maps_to_pilot_user_case_insensitively(db: Store) -> None:
    at = app_as("omar.haddad@northwind.example")
    assert not at.exception
    assert any("step by step" in s.value for s in at.subheader)
    assert "Signed in as **omar** with the role **lead**" in at.caption[0].value


def test_unknown_identity_sees_no_pilot_data(db: Store) -> None:
    at = app_as("stranger@elsewhere.example")
    assert "has no pilot account" in at.error[0].value
    assert not any("step by step" in s.value for s in at.subheader)
    assert not [t for t in at.text_input if t.key == "signin_password"]


def test_not_logged_in_offers_single_sign_on_only(db: Store) -> None:
    at = app_as("", logged_in=False)
    assert [b.label for b in at.button] == ["Sign in with your organisation"]
    assert not [t for t in at.text_input if t.key == "signin_password"]
