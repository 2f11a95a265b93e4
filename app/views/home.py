"""Home: the pilot's steps as a checklist, like the first cell of a notebook."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core import killswitch
from pilot.core.errors import PilotError, app_message
from pilot.core.inert import inert
from pilot.readiness.status import home_view
from pilot.results import humane

actor = ui.guard("read")
st.title("Pilot Kit")
st.caption(f"Signed in as **{inert(actor.name)}** with the role **{inert(actor.role)}**.")

with ui.store().read() as con:
    truth, steps = home_view(con)  # the stage and the run of record read once for both
    kill_state = killswitch.state(con)
    holders = killswitch.holders(con)

st.subheader("Is it ready?")
(st.success if truth["passed"] else st.warning)(inert(truth["verdict"]))
if truth["at_risk"]:
    # evaluators grade blind: they learn the stage is at risk, not the graded figures behind it
    reasons = "; ".join(truth["risk_reasons"]) if actor.can("read_grades") else "see Readiness"
    st.error(f"{inert(truth['stage_line'])}. AT RISK: {inert(reasons)}")
else:
    st.info(inert(truth["stage_line"]))
st.caption(inert(truth["next_gate"]))

st.subheader("The pilot, step by step")
for step in steps:
    # the icon is a constant directive (inert() would escape it into plain text)
    st.markdown(
        f"{':green[:material/check_circle:]' if step.status == 'done' else ':blue[:material/arrow_circle_right:]' if step.status == 'next' else ':red[:material/block:]' if step.status == 'blocked' else ':gray[:material/radio_button_unchecked:]'} **{inert(step.number)}. {inert(step.name)}** — {inert(step.status)}: {inert(step.detail)}"
    )

st.subheader("Kill switch")
if kill_state.engaged:
    st.error(
        f"ENGAGED by {inert(kill_state.by)} at {inert(humane.local_time(kill_state.at, st.context.timezone))}: {inert(kill_state.reason)}"
    )
else:
    st.success("Off: system calls are allowed.")
st.caption(
    "Who can stop the system or resume it: "
    + inert(", ".join((f"{n} ({r})" for n, r in holders)) or "nobody yet")
    + f". Last tested: {inert(humane.local_time(kill_state.last_tested, st.context.timezone) if kill_state.last_tested else 'never')}."
)
if actor.can("kill"):
    if kill_state.engaged:
        if actor.can("resume") and st.button("Release the kill switch", key="home_release"):
            try:
                killswitch.release(ui.store(), actor.name)
                st.rerun()
            except PilotError as exc:
                st.error(inert(app_message(exc)))
    else:
        with st.form("home_kill"):
            reason = st.text_input("Why stop the system?", key="home_kill_reason")
            drill = st.checkbox("This is a drill (records the test date)", key="home_kill_drill")
            if st.form_submit_button("Stop all system calls now", type="primary"):
                try:
                    killswitch.engage(ui.store(), actor.name, reason, test=drill)
                    st.rerun()
                except PilotError as exc:
                    st.error(inert(app_message(exc)))
ui.provenance({"database": str(ui.store().path)})
