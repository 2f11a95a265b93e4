"""The Golden set page's case editor (layout only): a lead changes one case, and
`pilot.goldensets.edit` makes, checks and records the new version."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core.access import Actor
from pilot.core.errors import PilotError, app_message
from pilot.core.inert import inert
from pilot.core.models import GoldenCase
from pilot.core.store import Store
from pilot.goldensets import versions as gs
from pilot.goldensets.edit import edit_case
from pilot.results.humane import plural


def edit_form(store: Store, actor: Actor, name: str, version: str, case: GoldenCase) -> None:
    """A form with the case's editable fields; saving makes a new version and selects it."""
    key = f"gs_edit_{case.id}"
    ui.seed(
        f"{key}_loaded",
        (version, case.id),
        {
            f"{key}_question": case.question,
            f"{key}_answerable": case.answerable,
            f"{key}_expected": case.expected_answer or "",
            f"{key}_evidence": "\n".join(case.evidence),
            f"{key}_tags": ", ".join(case.tags),
            f"{key}_consequential": case.consequential,
        },
    )
    with st.expander("Edit this case (makes a new version)"), st.form(f"{key}_form"):
        st.text_area("Question", key=f"{key}_question")
        st.checkbox("Answerable from the sources", key=f"{key}_answerable")
        st.text_area("Expected answer", key=f"{key}_expected", help="Ignored if unanswerable")
        st.text_area(
            "Evidence: one passage per line, each copied exactly from a source",
            key=f"{key}_evidence",
        )
        st.text_input("Tags, separated by commas", key=f"{key}_tags")
        st.checkbox("Consequential (a wrong answer could do harm)", key=f"{key}_consequential")
        saved = st.form_submit_button("Save as a new version", type="primary")
    if not saved:
        return
    state = st.session_state
    changes = {
        "question": state[f"{key}_question"].strip(),
        "answerable": bool(state[f"{key}_answerable"]),
        "expected_answer": state[f"{key}_expected"].strip() or None,
        "evidence": [p.strip() for p in state[f"{key}_evidence"].splitlines() if p.strip()],
        "tags": [t.strip() for t in state[f"{key}_tags"].split(",") if t.strip()],
        "consequential": bool(state[f"{key}_consequential"]),
    }
    try:
        result = edit_case(store, actor.name, version, case.id, changes)
    except gs.GoldenSetInvalid as exc:
        st.error(f"Not saved: the edit breaks {inert(plural(len(exc.report.errors), 'rule'))}.")
        st.table(
            [{"field": p.field or "", "problem": p.message} for p in exc.report.errors],
            hide_index=True,
        )
        return
    except PilotError as exc:
        st.error(inert(app_message(exc)))
        return
    if not result.created:
        st.info(f"Nothing changed: this is version {inert(result.short)} already.")
        return
    state["gs_pending_version"] = (name, result.version)  # selected on the next run
    state["gs_flash"] = f"Saved case {case.id} as new version {result.short} of {name}."
    st.rerun()
