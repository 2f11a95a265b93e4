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


def _inhumane(at: AppTest, where: str) -> list[str]:
    """Table headers in snake_case, cells reading None or a Python repr, "(s)" plurals and
    ISO timestamps with seconds anywhere a person reads."""
    found = []
    for table in [*at.dataframe, *at.table]:
        if getattr(table.proto, "editing_mode", 0):  # an editor: an empty cell is an input
            continue
        frame = table.value
        for column in frame.columns:
            if "_" in str(column):
                found.append(f"{where}: header {column!r}")
        for column in frame.columns:
            for cell in map(str, frame[column].tolist()[:200]):
                if cell == "None" or cell.startswith(("{'", "[{'")) or _ISO.search(cell):
                    found.append(f"{where}: {column!r} cell {cell[:60]!r}")
                    break
    kinds = ("markdown", "caption", "success", "info", "warning", "error", "text")
    for kind in kinds:
        for element in getattr(at, kind):
            value = str(element.value)
            if "(s)" in value or _ISO.search(value):
                found.append(f"{where}: {kind} {value[:80]!r}")
    return found


_ISO = __import__("re").compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def test_every_page_reads_humanely(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 item 9: headers in words, no None or reprs, times to the minute (no ISO
    seconds), no "(s)" plurals, on every page the lead and the auditor see."""
    monkeypatch.setenv("PILOT_DB", str(demo_db))
    problems: list[str] = []
    for user in ("priya", "sam"):
        at = AppTest.from_file(MAIN, default_timeout=60).run()
        at.text_input(key="signin_name").input(user)
        at.text_input(key="signin_password").input(PASSWORD)
        at.button[0].click().run()
        for path, *_rest in [p for p in PAGES if can(USERS[user], p[3])]:
            at.switch_page(path).run()
            problems += _inhumane(at, f"{user} {path}")
    assert not problems, "\n".join(sorted(set(problems)))
