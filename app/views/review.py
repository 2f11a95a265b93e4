"""Review: the blind grading queue, one item at a time, every verdict one key away."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core.errors import PilotError
from pilot.core.inert import highlight_html, inert
from pilot.review import grades, queue

SUPPORT = {"yes": "Yes, they support it", "no": "No", "none": "No citations"}
actor = ui.guard("grade")
store = ui.store()

st.title("Review: grade live outputs")
st.caption(
    "Blind: you see the question, the answer and the cited sources, never which system "
    "answered or how it was scored. Keys: 1 correct · 2 partly correct · 3 incorrect "
    "(each saves and moves on); Y / U citations support it or not; severity N none · "
    "M minor · J major · K critical. Keys work while no text box has focus."
)

if "rv_flash" in st.session_state:
    st.success(inert(st.session_state.pop("rv_flash")))


def _change_earlier() -> None:
    """Change one of your own earlier grades: a new revision with its reason (grades only
    append, and the change is audited). Only your own grades are listed."""
    with store.read() as con:
        mine = grades.mine(con, actor.name)
    # A toggle, not an expander: it stays open across the reruns each choice below causes.
    if not st.toggle(inert(f"Change one of your earlier grades ({len(mine)})"), key="rv_ch_open"):
        return
    with st.container(border=True):
        if not mine:
            st.caption("You have not graded anything yet.")
            return
        by_id = {g.output_id: g for g in mine}
        pick = st.selectbox(
            "Graded item (newest first)", list(by_id), key="rv_ch_pick",
            format_func=lambda oid: f"{oid} · {grades.VERDICT_LABELS[by_id[oid].verdict]}",
        )  # fmt: skip
        current = by_id[pick]
        with store.read() as con:
            earlier = queue.blind_item(con, actor.name, pick)
        st.text(f"Question: {earlier.input}")
        st.text(f"Answer: {earlier.output}")
        st.text(f"Your grade now: {grades.describe(current)}")
        k = f"rv_ch_{pick}"
        verdict = st.radio(
            "New verdict", grades.VERDICTS, index=grades.VERDICTS.index(current.verdict),
            format_func=grades.VERDICT_LABELS.get, key=f"{k}_verdict", horizontal=True,
        )  # fmt: skip
        support = st.radio(
            "New answer to: do the citations support it?", list(SUPPORT), format_func=SUPPORT.get,
            index=list(SUPPORT).index({True: "yes", False: "no", None: "none"}
                                      [current.citations_support]),
            key=f"{k}_support", horizontal=True,
        )  # fmt: skip
        severity = st.radio(
            "New severity", grades.SEVERITIES, key=f"{k}_severity", horizontal=True,
            index=grades.SEVERITIES.index(current.severity),
        )  # fmt: skip
        note = st.text_area("Note", value=current.note, key=f"{k}_note", max_chars=grades.MAX_NOTE)
        reason = st.text_input("Reason for the change (required)", key=f"{k}_reason")
        if st.button("Save the change", key="rv_ch_save"):
            try:
                new = grades.grade(
                    store, actor.name, pick, verdict, "none" if verdict == "correct" else severity,
                    citations_support=None if support == "none" else support == "yes",
                    note=note, reason=reason.strip() or None,
                )  # fmt: skip
            except PilotError as exc:
                st.error(inert(exc))
            else:
                if new is None:
                    st.info("Nothing changed: the grade is the same as before.")
                else:
                    st.success(inert(f"Changed {pick}: {grades.describe(new)}."))


try:
    item_id = queue.next_item(store, actor.name)
except PilotError as exc:
    st.error(inert(exc))
    st.stop()
with store.read() as con:
    progress = queue.progress(con, actor.name)
    item = queue.blind_item(con, actor.name, item_id) if item_id else None

st.subheader(inert(progress.sentence()))
st.progress(
    progress.done / progress.total if progress.total else 1.0,
    text=f"{progress.done} of {progress.total} done",
)
if item is None:
    st.info("Nothing left to grade. New items arrive when a lead draws the next sample.")
    _change_earlier()
    ui.provenance({"queue": actor.name})
    st.stop()

SEVERITY_KEYS = {"none": "N", "minor": "M", "major": "J", "critical": "K"}
support_key, severity_key, note_key = (f"rv_{k}_{item.output_id}" for k in ("sup", "sev", "note"))
st.session_state.setdefault(support_key, "yes" if item.cited else "none")
st.session_state.setdefault(severity_key, "none")


def _set(key: str, value: str) -> None:
    st.session_state[key] = value


def _save(verdict: str) -> None:
    choice = st.session_state.get(support_key)
    severity = "none" if verdict == "correct" else (st.session_state.get(severity_key) or "none")
    try:
        grades.grade(
            store,
            actor.name,
            item.output_id,
            verdict,
            severity,
            citations_support=None if choice in (None, "none") else choice == "yes",
            note=st.session_state.get(note_key, ""),
        )
    except PilotError as exc:
        st.session_state["rv_error"] = str(exc)
    else:
        st.session_state["rv_flash"] = f"Saved: {grades.VERDICT_LABELS[verdict]}."


if item.simulated:
    st.warning("Simulated output (demo data).")
left, right = st.columns(2)
with left:
    st.markdown("**Question**")
    st.markdown(highlight_html(item.input, []), unsafe_allow_html=True)
    st.markdown("**Answer**")
    st.markdown(highlight_html(item.output, []), unsafe_allow_html=True)
with right:
    if not item.sources:
        st.info("The answer cites no source.")
    for source in item.sources:
        with st.container(border=True):
            st.text(f"{source.title} · {source.marks} cited passage(s) highlighted")
            st.markdown(highlight_html(source.text, list(source.spans)), unsafe_allow_html=True)

with st.container(border=True):
    st.segmented_control(
        "Do the citations support the answer?",
        list(SUPPORT),
        format_func=SUPPORT.get,
        key=support_key,
    )
    cols = st.columns(3)
    cols[0].button("Y supports", key="rv_y", shortcut="Y", on_click=_set, args=(support_key, "yes"))
    cols[1].button("U does not", key="rv_u", shortcut="U", on_click=_set, args=(support_key, "no"))
    st.segmented_control("Severity of the error", grades.SEVERITIES, key=severity_key)
    scols = st.columns(4)
    for col, (sev, key) in zip(scols, SEVERITY_KEYS.items(), strict=True):
        col.button(
            inert(f"{key} {sev}"), key=f"rv_sev_btn_{sev}", shortcut=key, on_click=_set,
            args=(severity_key, sev),
        )  # fmt: skip
    st.text_area("Note (optional)", key=note_key, max_chars=grades.MAX_NOTE, height=80)
    vcols = st.columns(3)
    for n, (col, verdict) in enumerate(zip(vcols, grades.VERDICTS, strict=True), start=1):
        col.button(
            inert(f"{n} · {grades.VERDICT_LABELS[verdict]}"), key=f"rv_verdict_{verdict}",
            shortcut=str(n), type="primary", on_click=_save, args=(verdict,),
            width="stretch",
        )  # fmt: skip
if "rv_error" in st.session_state:
    st.error(inert(st.session_state.pop("rv_error")))
_change_earlier()

ui.provenance({"live output": item.output_id, "queue": actor.name})
