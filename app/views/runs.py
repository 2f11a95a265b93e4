"""Runs: start a run in the background, watch it, browse every result with its citations."""

from __future__ import annotations

import streamlit as st

from app import case_trace_view, ui
from pilot.core import killswitch
from pilot.core.errors import PilotError, app_message
from pilot.core.inert import inert
from pilot.core.models import RetrievalSettings
from pilot.goldensets.stored import version_numbers, version_rows
from pilot.readiness.marks import run_marks
from pilot.results import humane
from pilot.runs import jobs
from pilot.runs.configs import newest_config, stale_goldensets
from pilot.runs.context import RunOptions
from pilot.runs.record import OUTCOMES, browser_table, filter_results, result_rows
from pilot.runs.run import EMPTY_SUMMARY, RunStatus
from pilot.runs.start import list_runs, prepare_run, resumable
from pilot.runs.systems.connection import Connection
from pilot.runs.systems.registered import list_systems
from pilot.runs.systems.registry import (
    KINDS,
    build_config,
    default_model,
    needs_key,
    system_class,
)
from pilot.runs.trace import case_trace

actor = ui.guard("read")
st.title("Runs")
store = ui.store()

with store.read() as con:
    runs = list_runs(con)
    newest = newest_config(con)
    stale = stale_goldensets(con, newest) if newest else []
    versions = version_rows(con)
    kill_state = killswitch.state(con)
    registered = {s.name: s.target for s in list_systems(con)}

if "runs_flash" in st.session_state:
    st.success(inert(st.session_state.pop("runs_flash")))

if newest and stale:
    st.warning(
        f"The golden set must be re-run: the newest system config ({inert(newest)}) has no finished run on {inert(', '.join(stale))}. Every prompt, retrieval or model change re-runs it."
    )


def connection() -> Connection:
    """The key from the environment, else Streamlit's secrets; never shown or stored."""
    try:
        secrets = dict(st.secrets)
    except Exception:  # no secrets file
        secrets = {}
    return Connection.from_env(secrets=secrets)


def start_blocked(kind: str, target: str | None) -> str | None:
    """Why Start cannot be pressed for this choice of system, in words; None when it can."""
    if needs_key(kind) and not connection().has_key:
        return (
            "Claude needs an API key. Whoever runs the app sets ANTHROPIC_API_KEY in its "
            "environment or Streamlit secrets and restarts it; the offline system needs none."
        )
    if "target" in system_class(kind).FIELDS and target is None:
        return "choose a registered system."
    return None


if actor.can("edit_pilot"):
    with st.expander("Start a run", expanded=not runs):
        if kill_state.engaged:
            st.error("The kill switch is engaged: no run can start until it is released.")
        elif not versions:
            st.info("Import a golden set first (step 3).")
        else:
            labels = {
                v[0]: f"{v[1]} · {v[0][:12]} · {humane.plural(v[2], 'case')} · "
                f"{humane.local_time(v[3], st.context.timezone)}"
                for v in versions
            }
            version = st.selectbox(
                "Golden set version", list(labels), format_func=labels.get, key="runs_version"
            )
            kind = st.radio(
                "System",
                list(KINDS),
                horizontal=True,
                key="runs_kind",
                help="  \n".join(system_class(k).LABEL for k in KINDS),
            )
            takes = system_class(kind).FIELDS
            model = (
                st.text_input("Model", default_model(kind), key="runs_model")
                if "model" in takes
                else None
            )
            prompt = (
                st.text_area("System prompt (blank: the default)", key="runs_prompt")
                if "prompt" in takes
                else ""
            )
            target = None
            if "target" in takes:
                if not registered:
                    st.info(
                        "No Python system is registered yet: an admin registers one before it "
                        "can run from here."
                    )
                picked = st.selectbox(
                    "Registered system",
                    list(registered),
                    key="runs_registered",
                    help="Only systems an admin registered can run from the app.",
                )
                target = registered.get(picked) if picked else None
                model = picked or None
            left, right, third = st.columns(3)
            top_k = left.number_input("Top-k passages", 1, 20, 3, key="runs_topk")
            min_score = right.number_input(
                "Abstain below score", 0.0, 50.0, 1.0, step=0.5, key="runs_minscore"
            )
            concurrency = third.number_input("Concurrency", 1, 64, 16, key="runs_conc")
            use_cache = st.checkbox(
                "Serve repeated requests from the cache", True, key="runs_cache"
            )
            blocked = start_blocked(kind, target)
            if blocked:
                st.caption(f"Start is off: {inert(blocked)}")
            if st.button(
                "Start run",
                type="primary",
                key="runs_start",
                disabled=bool(blocked),
                help=blocked or None,
            ):
                retrieval = RetrievalSettings(top_k=int(top_k), min_score=float(min_score))
                config = build_config(
                    kind, model=model, target=target, prompt=prompt, retrieval=retrieval
                )
                options = RunOptions(concurrency=int(concurrency), use_cache=use_cache)
                try:
                    run_id = prepare_run(
                        store, actor.name, version=version, config=config, options=options
                    )
                    jobs.run_in_background(store, actor.name, run_id, options, connection())
                    st.session_state["runs_selected"] = run_id
                    st.session_state["runs_browse"] = run_id
                    st.session_state["runs_flash"] = f"Started {run_id}."
                    st.rerun()
                except PilotError as exc:
                    st.error(inert(app_message(exc)))


# Redraw every second only while a run is going; an idle page stays still.
active = any(r["status"] is RunStatus.RUNNING for r in runs)


@st.fragment(run_every=1.0 if active else None)
def run_table() -> None:
    with store.read() as con:
        current = list_runs(con)
        marks = run_marks(con)  # run of record, configs rolled back or in production
        sets = version_numbers(con)
    if not current:
        st.info("No runs yet.")
        return
    names = sorted(
        {sets[r["goldenset_version"]][0] for r in current if r["goldenset_version"] in sets}
    )
    chosen = st.selectbox("Golden set", ["All golden sets", *names], key="runs_filter_set")
    table = []
    for r in current:
        name, number, n_cases = sets.get(r["goldenset_version"], ("", 0, 0))
        label = f"{name} v{number} · {humane.plural(n_cases, 'case')}" if name else "—"
        if chosen != "All golden sets" and name != chosen:
            continue
        summary = r["summary"] or EMPTY_SUMMARY
        accuracy = summary.value("accuracy")
        table.append(
            {
                "run": r["run_id"],
                "verdict": summary.verdict_label()
                if r["status"] in (RunStatus.FINISHED, RunStatus.INCONCLUSIVE)
                else "",
                "accuracy": "—" if accuracy is None else f"{accuracy:.1%}",
                "golden set": label,
                "system": r["system"],
                "status": "stalled?" if r["stalled"] else r["status"].value,
                "progress": f"{r['done']}/{r['n_cases']}",
                "errors": r["errors"],
                "started": humane.local_time(r["started_at"], st.context.timezone),
                "started by": r["started_by"],
                "marks": marks.get(r["run_id"], ""),
            }
        )
        failure = jobs.failure(r["run_id"])
        if failure and r["run_id"] not in st.session_state.setdefault("runs_dismissed", set()):
            st.error(f"{inert(r['run_id'])} stopped: {inert(failure)}")
            st.button(
                "Dismiss",
                key=f"runs_dismiss_{r['run_id']}",
                on_click=st.session_state["runs_dismissed"].add,
                args=(r["run_id"],),
            )
    running = [r for r in current if r["status"] is RunStatus.RUNNING]
    for r in running:
        st.progress(
            r["done"] / max(1, r["n_cases"]),
            text=f"{r['run_id']}: {r['done']}/{r['n_cases']} cases",
        )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="runs_table",
        column_config={"run": st.column_config.TextColumn("run", pinned=True)},
    )
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
    ui.linked("run", "runs_browse", ids)
    run_id = st.selectbox("Run", ids, key="runs_browse")
    selected = next(r for r in runs if r["run_id"] == run_id)
    if selected["status"] is not RunStatus.FINISHED:
        state = (
            "running, with no new result for two minutes"
            if selected["stalled"]
            else selected["status"].value
        )
        st.info(
            f"{inert(run_id)} is {inert(state)}: these are the {inert(selected['done'])} results stored so far, not yet judged."
        )
        if resumable(selected) and actor.can("edit_pilot") and not jobs.is_active(run_id):
            st.caption(
                "Resuming calls only the cases without a stored result. If another process is "
                "still running it, wait for that process instead."
            )
            if st.button("Resume this run", key="runs_resume"):
                jobs.run_in_background(store, actor.name, run_id, None, connection())
                st.session_state["runs_flash"] = f"Resumed {run_id}."
                st.rerun()
    with store.read() as con:
        rows = result_rows(con, run_id)
    tags = sorted({t for ts in rows["tags"].to_list() for t in ts}) if rows.height else []
    left, right = st.columns(2)
    ui.linked("show", "runs_outcome", OUTCOMES)
    outcome = left.selectbox("Show", OUTCOMES, key="runs_outcome")
    ui.linked("tag", "runs_tag", ["(any)", *tags])
    tag = right.selectbox("Tag", ["(any)", *tags], key="runs_tag")
    shown = filter_results(rows, outcome, None if tag == "(any)" else tag)
    st.caption(f"{inert(shown.height)} of {inert(rows.height)} results")
    st.dataframe(
        browser_table(shown),
        hide_index=True,
        width="stretch",
        column_config={
            "case": st.column_config.TextColumn("case", pinned=True),
            "latency": st.column_config.NumberColumn("latency", format="%.0f ms"),
            "error": st.column_config.TextColumn("error", width="small"),
        },
    )
    if shown.height:
        ui.linked("case", "runs_case", shown["case_id"].to_list())
        case_id = st.selectbox("Open a case", shown["case_id"].to_list(), key="runs_case")
        row = shown.filter(shown["case_id"] == case_id).to_dicts()[0]
        with store.read() as con:
            trace = case_trace(con, run_id, case_id)
        case_trace_view.show(row, trace)
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
