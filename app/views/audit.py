"""Audit: verify everything a figure rests on in one click, and filter events."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core import audit
from pilot.core.inert import inert
from pilot.results import humane
from pilot.runs.integrity import verify_all

ui.guard("audit")
st.title("Audit trail")

anchor_text = st.text_input(
    "Anchor from an earlier verification (optional)",
    key="audit_anchor",
    placeholder="SEQ:HASH — also catches a whole database restored from an older copy",
)
if st.button("Verify the chain and the records", type="primary", key="audit_verify"):
    try:
        anchor = audit.parse_anchor(anchor_text) if anchor_text.strip() else None
    except ValueError as exc:
        st.error(inert(str(exc)))
    else:
        store = ui.store()
        with store.read() as con:
            report = verify_all(con, store.key(), anchor)
        if report.intact:
            st.success(inert(report.summary()))
            for line in report.chain.notes():
                st.warning(inert(line))
            st.caption("Keep this anchor outside the database to check against later:")
            st.code(report.chain.anchor, language=None)
        else:
            st.error(inert(report.summary()))
            for line in report.chain.notes() if report.first_bad else []:
                st.warning(inert(line))
            for line in report.problems[1:]:
                st.text(f"also: {line}")

with ui.store().read() as con:
    actors = audit.distinct_values(con, "actor")
    actions = audit.distinct_values(con, "action")
left, right = st.columns(2)
actor = left.selectbox("Actor", ["(all)", *actors], key="audit_actor")
action = right.selectbox("Action", ["(all)", *actions], key="audit_action")
with ui.store().read() as con:
    found = audit.events(
        con,
        actor=None if actor == "(all)" else actor,
        action=None if action == "(all)" else action,
    )
viewer_tz = st.context.timezone
st.caption(
    f"{inert(humane.plural(len(found), 'event'))}, newest first; times in your time zone "
    f"({inert(humane.zone(viewer_tz).key)})"
)
st.dataframe(
    humane.audit_rows(found, viewer_tz),
    hide_index=True,
    width="stretch",
    column_config={"Details": st.column_config.TextColumn("Details", width="large")},
)
if found:
    st.download_button(
        "Download these events (CSV)",
        humane.audit_csv(found, viewer_tz),
        file_name="audit-events.csv",
        mime="text/csv",
        key="audit_csv",
    )
    picked = st.selectbox(
        "Show one event's details",
        [e.seq for e in found],
        format_func=lambda seq: f"event {seq}",
        key="audit_event",
    )
    st.code(humane.text(next(e.payload for e in found if e.seq == picked)), language="json")
ui.provenance({"audit events": f"{len(found)} shown"})
