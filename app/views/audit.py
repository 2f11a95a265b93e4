"""Audit: filter events and verify the hash chain in one click."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core import audit
from pilot.core.inert import inert

ui.guard("audit")
st.title("Audit trail")

anchor_text = st.text_input(
    "Anchor from an earlier verification (optional)",
    key="audit_anchor",
    placeholder="SEQ:HASH — catches deleted newest events, which the chain alone cannot show",
)
if st.button("Verify the chain", type="primary", key="audit_verify"):
    try:
        anchor = audit.parse_anchor(anchor_text) if anchor_text.strip() else None
    except ValueError as exc:
        st.error(inert(str(exc)))
    else:
        with ui.store().read() as con:
            result = audit.verify(con, anchor)
        (st.success if result.intact else st.error)(inert(result.summary()))
        if result.intact:
            st.caption("Keep this anchor outside the database to check against later:")
            st.code(result.anchor, language=None)

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
st.caption(f"{inert(len(found))} event(s), newest first")
st.dataframe(
    [
        {
            "seq": e.seq,
            "time (UTC)": e.ts,
            "actor": e.actor,
            "role": e.role,
            "action": e.action,
            "object": e.object,
            "payload": str(e.payload),
            "hash": e.hash[:12],
        }
        for e in found
    ],
    hide_index=True,
    width="stretch",
)
ui.provenance({"audit events": f"{len(found)} shown"})
