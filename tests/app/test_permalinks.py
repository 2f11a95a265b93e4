"""AppTest: Results and Runs keep run, case and filters in the URL, and a URL opens them."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import seeded_store
from streamlit.testing.v1 import AppTest

from pilot.core.store import Store
from pilot.demo import seed_demo
from pilot.results.view import finished_runs
from pilot.runs.start import list_runs

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = seeded_store(tmp_path_factory.mktemp("links") / "app.duckdb")
    seed_demo(store)
    return store.path


def opened(page: str, params: dict[str, str]) -> AppTest:
    """A fresh session of dana (signed in), on `page`, from a link carrying `params`."""
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth_user"] = "dana"
    at.session_state["auth_role"] = "viewer"
    at.run()
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_results_writes_and_reads_its_link(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_DB", str(demo_db))
    at = opened("views/results.py", {})
    assert not at.exception
    with Store(demo_db).read() as con:
        runs = [r["run_id"] for r in finished_runs(con)]
    assert len(runs) >= 2
    at.selectbox(key="res_outcome").select("incorrect").run()
    link = dict(at.query_params)
    assert link["show"] == ["incorrect"] or link["show"] == "incorrect"
    assert "run" in link and "case" in link
    # a colleague opens a link naming the older run, a filter and a case
    other_run = runs[-1]
    at2 = opened("views/results.py", {"run": other_run, "show": "all"})
    assert at2.selectbox(key="res_run").value == other_run
    assert at2.selectbox(key="res_outcome").value == "all"
    case = str(at2.selectbox(key="res_case").options[-1])
    at3 = opened("views/results.py", {"run": other_run, "show": "all", "case": case})
    assert at3.selectbox(key="res_case").value == case
    # a link naming something that does not exist opens the default view, no error
    at4 = opened("views/results.py", {"run": "no-such-run", "show": "nonsense"})
    assert not at4.exception and at4.selectbox(key="res_outcome").value == "all"
    # the open view is in the link too, and a link opens it (with the other views unbuilt)
    at.session_state["res_view"] = "Run versus run"
    at.run()
    link = dict(at.query_params)
    assert link["view"] in ("Run versus run", ["Run versus run"])
    at5 = opened("views/results.py", {"run": other_run, "view": "Run versus run"})
    assert [t.label for t in at5.tabs if t.children] == ["Run versus run"]
    assert at5.selectbox(key="res_baseline").value in runs
    assert "res_case" not in [s.key for s in at5.selectbox]


def test_runs_reads_its_link(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOT_DB", str(demo_db))
    at = opened("views/runs.py", {})
    with Store(demo_db).read() as con:
        runs = [r["run_id"] for r in list_runs(con)]
    assert dict(at.query_params).get("run") in (runs[0], [runs[0]])  # the view wrote its link
    at2 = opened("views/runs.py", {"run": runs[-1], "show": "correct"})
    assert not at2.exception
    assert at2.selectbox(key="runs_browse").value == runs[-1]
    assert at2.selectbox(key="runs_outcome").value == "correct"
    assert dict(at2.query_params).get("run") in (runs[-1], [runs[-1]])


def test_start_is_off_with_the_reason_without_a_key(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOT_DB", str(demo_db))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth_user"] = "priya"
    at.session_state["auth_role"] = "lead"
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.button(key="runs_start").disabled  # offline needs no key
    at.radio(key="runs_kind").set_value("anthropic").run()
    assert at.button(key="runs_start").disabled
    assert any("Claude needs an API key" in c.value for c in at.caption)
    assert not any("--" in e.value or "pilot " in e.value for e in at.info)
