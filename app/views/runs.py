"""Runs: start a run in the background, watch it, browse every result with its citations."""

from __future__ import annotations

import json
import os

import streamlit as st

from app import ui
from pilot.core import killswitch
from pilot.core.errors import PilotError
from pilot.core.inert import highlight_html
from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.runs import jobs
from pilot.runs.configs import newest_config, stale_goldensets
from pilot.runs.execute import RunOptions
from pilot.runs.record import OUTCOMES, case_sources, filter_results, result_rows
from pilot.runs.scoring import explain
from pilot.runs.start import list_runs, prepare_run, resumable

actor = ui.guard("read")
st.title("Runs")
store = ui.store()

with store.read() as con:
    runs = list_runs(con)
    newest = newest_config(con)
    stale = stale_goldensets(con, newest) if newest else []
    versions = con.execute(
        "SELECT version, name, n_cases, created_at FROM goldenset_versions ORDER BY created_at DESC"
    ).fetchall()
    kill_state = killswitch.state(con)

if "runs_flash" in st.session_state:
    st.success(st.session_state.pop("runs_flash"))

if newest and stale:
    st.warning(
        f"The golden set must be re-run: the newest system config ({newest}) has no finished "
        f"run on {', '.join(stale)}. Every prompt, retrieval or model change re-runs it."
    )


def api_key() -> str | None:
    key = os.environ.get("ANTHROPIC_API_KEY")
    if key:
        return key
    try:
        return st.secrets.get("ANTHROPIC_API_KEY")
    except Exception:
        return None


if actor.can("edit_pilot"):
    with st.expander("Start a run", expanded=not runs):
        if kill_state.engaged:
            st.error("The kill switch is engaged: no run can start until it is released.")
        elif not versions:
            st.info("Import a golden set first (step 3).")
        else:
            labels = {v[0]: f"{v[1]} · {v[0][:12]} · {v[2]} cases · {v[3][:16]}" for v in versions}
            version = st.selectbox(
                "Golden set version", list(labels), format_func=labels.get, key="runs_version"
            )
            kind = st.radio(
                "System",
                ["offline", "anthropic", "callable"],
                horizontal=True,
                key="runs_kind",
                help="offline: the built-in extractive baseline (no key needed)",
            )
            model = ""
            target = None
            prompt = ""
            if kind == "anthropic":
                model = st.text_input("Model", "claude-sonnet-4-6", key="runs_model")
                prompt = st.text_area("System prompt (blank: the default)", key="runs_prompt")
                if not api_key():
                    st.warning("No ANTHROPIC_API_KEY in the environment or Streamlit secrets.")
            elif kind == "callable":
                target = st.text_input("module:function", key="runs_target")
                model = target or ""
            left, right, third = st.columns(3)
            top_k = left.number_input("Top-k passages", 1, 20, 3, key="runs_topk")
            min_score = right.number_input(
                "Abstain below score", 0.0, 50.0, 1.0, step=0.5, key="runs_minscore"
            )
            concurrency = third.number_input("Concurrency", 1, 64, 16, key="runs_conc")
            use_cache = st.checkbox(
                "Serve repeated requests from the cache", True, key="runs_cache"
            )
            if st.button("Start run", type="primary", key="runs_start"):
                retrieval = RetrievalSettings(top_k=int(top_k), min_score=float(min_score))
                if kind == "offline":
                    config = SystemConfig(retrieval=retrieval)
                else:
                    config = SystemConfig(
                        kind=kind,
                        model=model or kind,
                        target=target,
                        prompt_template=prompt,
                        retrieval=retrieval,
                    )
                options = RunOptions(concurrency=int(concurrency), use_cache=use_cache)
                try:
                    run_id = prepare_run(
                        store, actor.name, version=version, config=config, options=options
                    )
                    kwargs = {"api_key": api_key()} if kind == "anthropic" else None
                    jobs.run_in_background(store, actor.name, run_id, options, kwargs)
                    st.session_state["runs_selected"] = run_id
                    st.session_state["runs_browse"] = run_id
                    st.session_state["runs_flash"] = f"Started {run_id}."
                    st.rerun()
                except PilotError as exc:
                    st.error(str(exc))


@st.fragment(run_every=1.0)
def run_table() -> None:
    with store.read() as con:
        current = list_runs(con)
    if not current:
        st.info("No runs yet.")
        return
    table = []
    for r in current:
        summary = r["summary"] or {}
        acc = (summary.get("metrics") or {}).get("accuracy") or {}
        verdict = summary.get("verdict") or {}
        table.append(
            {
                "run": r["run_id"],
                "status": "stalled?" if r["stalled"] else r["status"],
                "progress": f"{r['done']}/{r['n_cases']}",
                "errors": r["errors"],
                "system": r["system"],
                "accuracy": None if acc.get("value") is None else round(acc["value"], 3),
                "verdict": ""
                if r["status"] != "finished"
                else (
                    "exploratory"
                    if verdict.get("exploratory")
                    else ("PASS" if verdict.get("passed") else "FAIL")
                ),
                "started by": r["started_by"],
                "started": r["started_at"][:19],
            }
        )
        if jobs.failure(r["run_id"]):
            st.error(f"{r['run_id']} stopped: {jobs.failure(r['run_id'])}")
    running = [r for r in current if r["status"] == "running"]
    for r in running:
        st.progress(
            r["done"] / max(1, r["n_cases"]),
            text=f"{r['run_id']}: {r['done']}/{r['n_cases']} cases",
        )
    st.dataframe(table, hide_index=True, width="stretch", key="runs_table")
    # When a run that was running here has ended, redraw the whole page so the result browser
    # below shows its judged results without a manual reload.
    running_now = {r["run_id"] for r in running}
    ended = st.session_state.get("runs_running", set()) - running_now
    st.session_state["runs_running"] = running_now
    if ended:
        st.rerun()


st.subheader("Runs")
run_table()

if runs:
    st.subheader("Results")
    ids = [r["run_id"] for r in runs]
    if st.session_state.get("runs_browse") not in ids:
        st.session_state.pop("runs_browse", None)
    run_id = st.selectbox("Run", ids, key="runs_browse")
    selected = next(r for r in runs if r["run_id"] == run_id)
    if selected["status"] != "finished":
        state = (
            "running, with no new result for two minutes"
            if selected["stalled"]
            else (selected["status"])
        )
        st.info(
            f"{run_id} is {state}: these are the {selected['done']} results stored so far, "
            "not yet judged."
        )
        if resumable(selected) and actor.can("edit_pilot") and not jobs.is_active(run_id):
            st.caption(
                "Resuming calls only the cases without a stored result. If another process is "
                "still running it, wait for that process instead."
            )
            if st.button("Resume this run", key="runs_resume"):
                kwargs = {"api_key": api_key()} if api_key() else None
                jobs.run_in_background(store, actor.name, run_id, None, kwargs)
                st.session_state["runs_flash"] = f"Resumed {run_id}."
                st.rerun()
    with store.read() as con:
        rows = result_rows(con, run_id)
    tags = sorted({t for ts in rows["tags"].to_list() for t in ts}) if rows.height else []
    left, right = st.columns(2)
    outcome = left.selectbox("Show", OUTCOMES, key="runs_outcome")
    tag = right.selectbox("Tag", ["(any)", *tags], key="runs_tag")
    shown = filter_results(rows, outcome, None if tag == "(any)" else tag)
    st.caption(f"{shown.height} of {rows.height} results")
    st.dataframe(
        shown.select(
            "case_id", "question", "answer", "correct", "abstained", "error", "cached", "latency_ms"
        ),
        hide_index=True,
        width="stretch",
    )
    if shown.height:
        case_id = st.selectbox("Open a case", shown["case_id"].to_list(), key="runs_case")
        row = shown.filter(shown["case_id"] == case_id).to_dicts()[0]
        st.markdown("**Question**")
        st.text(row["question"])
        st.markdown("**Answer** (model output, shown as plain text)")
        st.text(row["answer"] or "(no answer)")
        (st.success if row["correct"] else st.error)(explain(row))
        citations = json.loads(row["citations"])
        with store.read() as con:
            sources = case_sources(con, run_id, case_id)
        for source in sources:
            spans = [(c["start"], c["end"]) for c in citations if c["source_id"] == source["id"]]
            with st.expander(
                f"{source.get('title') or source['id']} · {len(spans)} citation(s)",
                expanded=bool(spans),
            ):
                st.markdown(highlight_html(source["text"], spans), unsafe_allow_html=True)
    ui.provenance(
        {
            "run": run_id,
            "golden set version": selected["goldenset_version"],
            "system config": selected["config_version"],
            "bar version": str(selected["bar_version"])
            if selected["bar_version"]
            else "none (exploratory)",
        },
        [f"results of {run_id}: {rows.height} rows"],
    )
else:
    ui.provenance({})
