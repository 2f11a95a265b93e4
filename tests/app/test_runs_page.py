"""AppTest for the Runs page: start a background run, watch it, browse results inertly."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import seeded_store, write_cases
from streamlit.testing.v1 import AppTest

from pilot.core.access import Actor
from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.runs import jobs
from pilot.runs.configs import register_config
from pilot.runs.start import list_runs, start_or_resume

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    store = seeded_store(tmp_path / "app.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    start_or_resume(store, "priya", goldenset="leave", config=SystemConfig())
    monkeypatch.setenv("PILOT_DB", str(store.path))
    return store


def open_runs(user: str, role: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth_user"] = user
    at.session_state["auth_role"] = role
    at.run()
    at.switch_page("views/runs.py").run()
    assert not at.exception, at.exception
    return at


def test_lead_starts_a_run_in_the_background(db: Store) -> None:
    at = open_runs("priya", "lead")
    at.radio(key="runs_kind").set_value("offline")
    at.number_input(key="runs_topk").set_value(1)
    at.button(key="runs_start").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Started run-")
    run_id = at.session_state["runs_selected"]
    jobs.wait(run_id, timeout=60)
    with db.read() as con:
        runs = {r["run_id"]: r for r in list_runs(con)}
    assert runs[run_id]["status"] == "finished" and runs[run_id]["done"] == 12
    at.run()
    assert at.selectbox(key="runs_browse").value == run_id


def test_viewer_sees_results_but_no_start_button(db: Store) -> None:
    at = open_runs("dana", "viewer")
    assert not [b for b in at.button if b.key == "runs_start"]
    assert at.selectbox(key="runs_browse").value.startswith("run-")
    at.selectbox(key="runs_outcome").select("all").run()
    case = at.selectbox(key="runs_case").value
    assert case.startswith("c-")
    explanations = [e.value for e in [*at.success, *at.error]]
    assert any(text.startswith(("Correct:", "Incorrect:")) for text in explanations)
    highlighted = [m.value for m in at.markdown if "<mark>" in m.value]
    assert highlighted  # the cited sentence is highlighted in its source
    runs_table, results = (d.value for d in at.dataframe)
    assert list(runs_table.columns[:3]) == ["run", "verdict", "accuracy"]  # the key ones first
    assert list(results.columns) == [
        "case", "correct", "abstained", "error", "latency", "cached", "question", "answer"
    ]  # fmt: skip
    assert results["error"].isna().sum() == 0 and (results["error"] == "").any()  # no "None"


def test_the_page_alone_keeps_a_demoted_lead_from_starting_a_run(db: Store) -> None:
    """UI gating on its own: the role is re-read on every rerun, so a lead demoted while the
    page is open loses the Start button before the click is handled; the library's own check
    is never reached (no denial is recorded). The library alone: tests/pilot/test_safeguards.py.
    """
    from pilot.core import access, audit

    at = open_runs("priya", "lead")
    assert [b for b in at.button if b.key == "runs_start"]
    with db.read() as con:
        runs_before = len(list_runs(con))
    access.set_role(db, "ada", "priya", "viewer")
    at.button(key="runs_start").click().run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "runs_start"]
    with db.read() as con:
        assert len(list_runs(con)) == runs_before
        assert not audit.events(con, action="access.denied")


def test_model_output_is_rendered_inert(db: Store, tmp_path: Path) -> None:
    with db.transaction() as con:
        con.execute("UPDATE results SET answer = '<script>alert(1)</script><b>x</b>'")
    at = open_runs("dana", "viewer")
    texts = [t.value for t in at.text]
    assert "<script>alert(1)</script><b>x</b>" in texts  # shown as plain text
    assert not any("<script>" in m.value for m in at.markdown)


def test_stale_goldenset_warning_after_config_change(db: Store) -> None:
    new = SystemConfig(retrieval=RetrievalSettings(top_k=2))
    db.write(lambda con: register_config(con, Actor("priya", "lead"), new, "top-2"))
    at = open_runs("dana", "viewer")
    assert any("must be re-run" in w.value for w in at.warning)


def test_a_stalled_run_can_be_resumed_from_the_page(db: Store) -> None:
    from pilot.runs.start import prepare_run

    run_id = prepare_run(
        db, "priya", goldenset="leave", config=SystemConfig(retrieval=RetrievalSettings(top_k=2))
    )
    # its process died before storing anything (as after kill -9): no result for 3 minutes
    with db.transaction() as con:
        con.execute(
            "UPDATE runs SET started_at = '2020-01-01T00:00:00.000000Z' WHERE run_id = ?", [run_id]
        )
    viewer = open_runs("dana", "viewer")
    viewer.selectbox(key="runs_browse").select(run_id).run()
    assert not [b for b in viewer.button if b.key == "runs_resume"]
    at = open_runs("priya", "lead")
    at.selectbox(key="runs_browse").select(run_id).run()
    assert any("no new result for two minutes" in i.value for i in at.info)
    at.button(key="runs_resume").click().run()
    jobs.wait(run_id, timeout=60)
    with db.read() as con:
        run = next(r for r in list_runs(con) if r["run_id"] == run_id)
    assert run["status"] == "finished" and run["done"] == 12


def test_case_view_is_a_trace_with_the_request_as_sent(db: Store) -> None:
    """Issue 10 item 7: the request sent, tokens, latency, cost; the cited passages in context
    and the whole document only behind an expander."""
    import hashlib
    import json

    from pilot.runs.trace import case_trace

    at = open_runs("dana", "viewer")
    run_id = at.selectbox(key="runs_browse").value
    case_id = at.selectbox(key="runs_case").value
    with db.read() as con:
        trace = case_trace(con, run_id, case_id)
    assert trace is not None and trace.exact
    metrics = {m.label: m.value for m in at.metric}
    shown = [m.value for m in at.markdown]
    assert (
        "**System** (the config that answered this run): Offline baseline · top 3 passages" in shown
    )
    assert metrics["Tokens in / out"] == f"{trace.input_tokens:,} / {trace.output_tokens:,}"
    assert trace.cost_usd == 0.0 and metrics["Cost"] == "$0"  # the offline system runs locally
    expanders = [e.label for e in at.expander]
    assert "The request as sent (redacted by the data boundary)" in expanders
    assert "Whole document" in expanders
    # folded: built only when opened (a folded expander's contents are otherwise sent and drawn)
    assert not at.code
    case = hashlib.blake2b(f"{run_id}/{case_id}".encode(), digest_size=6).hexdigest()
    at.session_state[f"runs_trace_{case}_request"] = True
    at.run()
    assert not at.exception
    code = [c.value for c in at.code]
    assert json.loads(code[0]) == trace.request
    assert any(c.value.startswith("exactly as sent") for c in at.caption)


def test_runs_name_their_golden_set_and_filter_by_it(db: Store, tmp_path: Path) -> None:
    import_goldenset(store := db, "priya", write_cases(tmp_path / "d.jsonl", 14), name="leave")
    import_goldenset(store, "priya", write_cases(tmp_path / "e.jsonl", 5), name="pay")
    start_or_resume(store, "priya", goldenset="pay", config=SystemConfig())
    at = open_runs("dana", "viewer")
    table = next(d.value for d in at.dataframe if "golden set" in d.value.columns)
    assert sorted(table["golden set"]) == ["leave v1 · 12 cases", "pay v1 · 5 cases"]
    assert at.selectbox(key="runs_filter_set").options == ["All golden sets", "leave", "pay"]
    at.selectbox(key="runs_filter_set").select("pay").run()
    table = next(d.value for d in at.dataframe if "golden set" in d.value.columns)
    assert list(table["golden set"]) == ["pay v1 · 5 cases"]
