"""AppTest: every page a role can open works on the first visit and on every later one.

Streamlit drops a widget's key from session state on a run that does not draw the widget, so a
page that seeds its form once per session crashes on the second visit; this walks every visible
page twice, for every role, on the demo pilot, and fails on any exception shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import PASSWORD, USERS, seeded_store
from streamlit.testing.v1 import AppTest

from app.nav import PAGES
from pilot.core.access import can
from pilot.demo import seed_demo

APP = Path(__file__).resolve().parents[2] / "app"
MAIN = str(APP / "main.py")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = seeded_store(tmp_path_factory.mktemp("visits") / "app.duckdb")
    seed_demo(store)
    return store.path


@pytest.mark.parametrize("user", sorted(USERS))
def test_every_page_twice(demo_db: Path, user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_DB", str(demo_db))
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    at.text_input(key="signin_name").input(user)
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    visible = [path for path, _, _, permission, _ in PAGES if can(USERS[user], permission)]
    assert len(visible) >= 8
    for round_ in (1, 2):
        for path in visible:
            at.switch_page(path).run()
            shown = [e.value for e in at.exception]
            assert not shown, f"{user}, visit {round_} of {path}: {shown}"
            assert at.title, f"{user}, visit {round_} of {path}: no title"
