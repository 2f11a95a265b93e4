"""Readiness: the ladder, each gate's evidence, the scorecard, and the decisions by role."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core import killswitch
from pilot.core.errors import PilotError, app_message
from pilot.core.inert import inert
from pilot.readiness import decisions
from pilot.readiness.charts import approval_figure, critical_sentence, ladder_figure
from pilot.readiness.status import readiness
from pilot.results import humane
from pilot.results.chart_style import pct
from pilot.review import dashboard

actor = ui.guard("read")
st.title("Readiness")
store = ui.store()
with store.read() as con:
    data = readiness(con, actor, store.key())
    review = dashboard.live_evidence(con, actor) if dashboard.can_see_grades(actor.role) else None
    kill_state = killswitch.state(con)

headline = f"Stage {data['stage']} · {data['stage_name']}: {data['stage_meaning']}"
if data["at_risk"]:
    blind = not actor.can("read_grades")  # evaluators grade blind: no graded figures
    reasons = "the live evidence below" if blind else "; ".join(data["risk_reasons"])
    st.error(inert(f"{headline}. AT RISK: {reasons}"))
else:
    st.success(inert(headline))
if kill_state.engaged:
    st.error(f"Kill switch ENGAGED by {inert(kill_state.by)}: {inert(kill_state.reason)}")
ui.chart(ladder_figure(data), key="ready_ladder")

st.subheader("Gates")
for gate in data["gates"]:
    mark = "met" if gate["met"] else "not met"
    box = ui.folded(f"Gate {gate['from_stage']} → {gate['to_stage']}: {mark}",
                    f"ready_gate_{gate['from_stage']}",
                    expanded=gate["from_stage"] == data["stage"])  # fmt: skip
    if box is None:  # folded: its table is built when opened
        continue
    with box:
        st.dataframe(
            humane.table(
                [{"requirement": r["name"], "status": r["status"], "value": r["value"],
                  "95% low": r["low"], "95% high": r["high"], "threshold": r["threshold"],
                  "n": r["n"]}
                 for r in gate["requirements"]], st.context.timezone),
            hide_index=True,
        )  # fmt: skip
        for r in gate["requirements"]:  # the words in full, under the figures
            st.caption(inert(f"{r['name']}: {r['evidence']}"))
            if r["missing"]:
                st.caption(inert(f"Needs: {r['missing']}"))

st.subheader("Scorecard")
for item in data["scorecard"]:  # each item's evidence in full: these are the sentences signed off
    status = item["status"]
    st.markdown(
        (":material/check_circle:" if status == "met" else ":material/warning:"
         if status == "at risk" else ":material/cancel:")
        + f" **{inert(item['name'])}**: {inert(status)}"
    )  # fmt: skip
    st.caption(inert(item["evidence"]))
    if item["missing"]:
        st.caption(inert(f"Needs: {item['missing']}"))

st.subheader("Evidence")
if review is None:
    st.info("Live figures show other people's grades: evaluators grade blind and do not see them.")
else:
    ui.chart(dashboard.accuracy_figure(review), key="ready_accuracy")
    # said in a line rather than charted: a chart of weeks that are mostly 0 says no more
    st.markdown(inert(critical_sentence(review["windows"], review["critical_errors"])))
    if review["approvals"]:
        threshold = data["settings"]["approval_threshold"]
        latest = review["approvals"][-1]
        box = ui.folded(f"Approval without edit per week (latest, {latest['window']}: "
                        f"{pct(latest['without_edit_rate'])}), charted",
                        "ready_approvals_fold")  # fmt: skip
        if box is not None:  # folded: the chart is built when opened
            ui.chart(approval_figure(review["approvals"], threshold), key="ready_approvals",
                     where=box)  # fmt: skip

st.subheader("Decisions")
left, right = st.columns(2)
if actor.can("sign"):
    with left.form("ready_promote"):
        reason = st.text_input("Why promote?", key="ready_promote_reason")
        if st.form_submit_button("Promote one stage", type="primary"):
            try:
                decisions.promote(store, actor.name, reason)
                st.rerun()
            except PilotError as exc:
                st.error(inert(app_message(exc)))
    if data["stage"] > 0:
        with right.form("ready_demote"):
            why = st.text_input("Why demote?", key="ready_demote_reason")
            if st.form_submit_button("Demote one stage"):
                try:
                    decisions.demote(store, actor.name, why)
                    st.rerun()
                except PilotError as exc:
                    st.error(inert(app_message(exc)))
if actor.can("kill") and data["rollback_target"]:
    with st.form("ready_rollback"):
        why = st.text_input("Why roll back?", key="ready_rollback_reason")
        if st.form_submit_button("Roll back to the previous config"):
            try:
                decisions.rollback(store, actor.name, why)
                st.rerun()
            except PilotError as exc:
                st.error(inert(app_message(exc)))
if kill_state.engaged and actor.can("resume"):
    if st.button("Resume (release the kill switch)", key="ready_resume"):
        try:
            killswitch.release(store, actor.name)
            st.rerun()
        except PilotError as exc:
            st.error(inert(app_message(exc)))
elif not kill_state.engaged and actor.can("kill"):
    with st.form("ready_kill"):
        why = st.text_input("Why stop the system?", key="ready_kill_reason")
        if st.form_submit_button("Stop all system calls now"):
            try:
                killswitch.engage(store, actor.name, why)
                st.rerun()
            except PilotError as exc:
                st.error(inert(app_message(exc)))
if not actor.can("sign") and not actor.can("kill"):
    st.caption("Promotion and demotion are a lead's; the kill switch is an admin's or a lead's.")

st.subheader("History of stage changes")
if data["history"]:
    st.dataframe(humane.table(data["history"], st.context.timezone), hide_index=True,
                 key="ready_history")  # fmt: skip
else:
    st.caption("No stage changes yet: every promotion, demotion and rollback is listed here.")
ui.provenance({"database": str(store.path), "stage file": str(store.path) + ".stage"})
