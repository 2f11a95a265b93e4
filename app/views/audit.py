"""Audit: verify everything a figure rests on in one click, and filter events."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core import audit
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
        st.error(str(exc))
    else:
        store = ui.store()
        with store.read() as con:
            report = verify_all(con, store.key(), anchor)
        if report.intact:
            st.success(report.summary())
            for line in report.chain.notes():
                st.warning(line)
            st.caption("Keep this anchor outside the database to check against later:")
            st.code(report.chain.anchor, language=None)
        else:
            st.error(report.summary())
            for line in report.chain.notes() if report.first_bad else []:
                st.warning(line)
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
st.caption(f"{len(found)} event(s), newest first")
st.dataframe(
    [
        {
            "seq": e.seq,
            "time (UTC)": e.ts,
            "actor": e.actor,
            "role": e.role,
            "token": e.token_id or "",
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
