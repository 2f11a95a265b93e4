"""Golden set: leads import and validate; everyone browses cases, evidence and versions."""

from __future__ import annotations

import hashlib

import streamlit as st

from app import case_editor, planner_view, ui
from pilot.core.errors import PilotError, app_message
from pilot.core.inert import escape_inert, highlight_html, inert
from pilot.core.inert_doc import document_html
from pilot.define import planner
from pilot.define.bar_versions import latest_bar
from pilot.goldensets import versions as gs
from pilot.goldensets.sizes import planner_context
from pilot.results import humane
from pilot.results.humane import plural

actor = ui.guard("read")
store = ui.store()
produced: list[str] = []

st.title("Golden set")
st.caption(
    "Real cases, ugly ones included, with agreed outcomes. A version is the hash of its "
    "content: importing the same cases again changes nothing, and no version is ever edited."
)


def _forget_outcome() -> None:
    st.session_state.pop("gs_outcome", None)


def _problem_table(rows: list[dict]) -> None:
    """A plain table (readable by screen readers and searchable) unless it is very long."""
    if len(rows) <= 200:
        st.table(rows, hide_index=True)
    else:
        st.dataframe(rows, hide_index=True, width="stretch")


def _show_outcome(outcome: dict) -> None:
    if outcome["kind"] == "invalid":
        st.error(
            f"{inert(plural(len(outcome['errors']), 'problem'))} in {inert(outcome['file'])}: nothing was imported. Fix them and upload the file again."
        )
        _problem_table(outcome["errors"])
    elif outcome["kind"] == "created":
        st.success(
            f"Imported {inert(outcome['name'])}: version {inert(outcome['version'][:16])}, {inert(outcome['n_cases'])} cases."
        )
    elif outcome["kind"] == "noop":
        st.info(
            f"Already imported: this content is version {inert(outcome['version'][:16])} of {inert(outcome['name'])}. Nothing changed."
        )
    else:
        st.error(inert(outcome["message"]))
    if outcome.get("warnings"):
        st.warning(
            f"{inert(plural(len(outcome['warnings']), 'warning'))}: imported anyway, but check them."
        )
        _problem_table(outcome["warnings"])


def _rows(problems: list[gs.Problem]) -> list[dict]:
    return [{"line / row": p.line, "field": p.field or "", "problem": p.message} for p in problems]


if actor.can("edit_pilot"):
    with st.container(border=True):
        st.subheader("Import a golden set")
        st.caption(
            "JSONL (one case a line), CSV or Parquet. In CSV and Parquet, `sources` and "
            "`evidence` are JSON arrays, `tags` are separated by `;`, booleans are true/false."
        )
        uploaded = st.file_uploader(
            "Golden set file",
            type=["jsonl", "csv", "parquet"],
            key="gs_upload",
            on_change=_forget_outcome,
        )
        if uploaded is not None:
            st.caption(
                f"Ready to import {inert(uploaded.name)} ({inert(format(uploaded.size / 1024, '.1f'))} KB)."
            )
        set_name = st.text_input(
            "Golden set name",
            key="gs_name",
            placeholder="e.g. benefits (defaults to the file name)",
        )
        if st.button("Import", key="gs_import", type="primary"):
            if uploaded is None:
                st.session_state["gs_outcome"] = {
                    "kind": "failed",
                    "message": "Choose a file to import first.",
                }
            else:
                name = set_name.strip() or gs.default_name(uploaded.name)
                try:
                    result = gs.import_goldenset(
                        store, actor.name, uploaded.getvalue(), name=name, filename=uploaded.name
                    )
                except gs.GoldenSetInvalid as exc:
                    st.session_state["gs_outcome"] = {
                        "kind": "invalid",
                        "file": uploaded.name,
                        "errors": _rows(exc.report.errors),
                        "warnings": _rows(exc.report.warnings),
                    }
                except PilotError as exc:
                    st.session_state["gs_outcome"] = {"kind": "failed", "message": app_message(exc)}
                else:
                    st.session_state["gs_outcome"] = {
                        "kind": "created" if result.created else "noop",
                        "name": result.name,
                        "version": result.version,
                        "n_cases": result.n_cases,
                        "warnings": _rows(result.warnings),
                    }
                    st.session_state["gs_set"] = result.name
                    st.session_state[f"gs_version_{result.name}"] = result.version
                    if result.created:
                        produced.append(f"golden set {result.name} version {result.short}")
        if "gs_outcome" in st.session_state:
            _show_outcome(st.session_state["gs_outcome"])

if "gs_flash" in st.session_state:
    st.success(inert(st.session_state.pop("gs_flash")))
if pending := st.session_state.pop("gs_pending_version", None):  # a case was just edited
    st.session_state[f"gs_version_{pending[0]}"] = pending[1]
    for side in ("a", "b"):
        st.session_state.pop(f"gs_diff_{side}_{pending[0]}", None)

with store.read() as con:
    sets = gs.list_goldensets(con)
if not sets:
    who = "Import one above." if actor.can("edit_pilot") else "A pilot lead imports it."
    st.info(f"No golden set imported yet. {inert(who)}")
    ui.provenance({"golden set version": None}, produced)
    st.stop()

names = [s["name"] for s in sets]
if st.session_state.get("gs_set") not in names:
    st.session_state["gs_set"] = names[0]
left, right = st.columns(2)
name = left.selectbox("Golden set", names, key="gs_set")
with store.read() as con:
    history = gs.versions(con, name)
tz = st.context.timezone
labels = {
    v.version: f"{v.short} · {humane.local_time(v.created_at, tz)} · "
    f"{humane.plural(v.n_cases, 'case')}" + (" · agreed" if v.agreed_by else "")
    for v in history
}
version_key = f"gs_version_{name}"
if st.session_state.get(version_key) not in labels:
    st.session_state[version_key] = history[0].version
version = right.selectbox(
    "Version (newest first)", list(labels), format_func=labels.get, key=version_key
)
info = next(v for v in history if v.version == version)
with store.read() as con:
    cases = gs.load_cases(con, version)
summary = gs.summarize(cases)

cols = st.columns(4)
cols[0].metric("Cases", summary["n_cases"])
cols[1].metric(
    "Unanswerable",
    f"{summary['unanswerable_share']:.0%}",
    help=f"{summary['n_unanswerable']} cases where the right behaviour is to abstain",
)
cols[2].metric("Consequential", summary["n_consequential"])
cols[3].metric("Tags", len(summary["tags"]))

with store.read() as con:
    plan_bar = latest_bar(con)
    plan_ctx = planner_context(con, version)
with st.expander("Is this golden set big enough for the bar?", expanded=plan_bar is not None):
    if not plan_bar or not plan_bar.bar.criteria:
        st.caption("No acceptance bar criteria drafted yet (step 2): nothing to plan against.")
    else:
        state = "signed" if plan_bar.signed else "draft"
        st.caption(
            f"Against bar v{inert(plan_bar.version)} ({inert(state)}): how likely a system as "
            "good as expected is to pass with this golden set, computed exactly, and the size "
            "that gives it an 80% chance."
        )
        criteria = plan_bar.bar.criteria
        rows = [
            planner.plan_row(plan_ctx, i, c, planner.default_expected_rate(c))
            for i, c in enumerate(criteria)
        ]
        st.dataframe(
            planner.planner_table(rows), hide_index=True, width="stretch", key="gs_planner"
        )
        rates = [row.index for row in rows if row.plan is not None]
        if rates:
            chosen = st.selectbox(
                "Chart a criterion",
                rates,
                format_func=lambda i: rows[i].description,
                key=f"gs_plan_criterion_{name}",
            )
            expected = st.number_input(
                "Expected rate, % (your best guess at what the system will reach)",
                min_value=0.0,
                max_value=100.0,
                value=round(100 * rows[chosen].expected_rate, 6),
                step=0.5,
                format="%.1f",
                key=f"gs_plan_expected_{name}_{chosen}",
            )
            row = planner.plan_row(plan_ctx, chosen, criteria[chosen], expected / 100)
            planner_view.planner_box(row)
            # drawn on request (an expander cannot hold another): two charts cost the browser
            # about 0.3 s, and the verdict above already answers the page's question
            if st.toggle("Chance of passing, charted", key="gs_plan_charts"):
                planner_view.planner_charts_row(row, "gs_plan")
if info.agreed_by:
    st.success(
        f"Outcomes agreed by {inert(info.agreed_by)} on {inert(info.agreed_at[:10])} (recorded by {inert(info.agreement_recorded_by)})."
        + (f" {inert(info.note)}" if info.note else "")
    )
else:
    st.warning("Nobody has agreed this version's expected outcomes yet.")
    if actor.can("sign"):
        with st.form("gs_agree_form"):
            agreed_by = st.text_input(
                "Agreed by (name, role)", key="gs_agreed_by", placeholder="Omar Haddad, owner"
            )
            agree_note = st.text_input("What was checked (optional)", key="gs_agree_note")
            if st.form_submit_button("Record agreement"):
                try:
                    gs.record_agreement(store, actor.name, version, agreed_by, agree_note)
                    st.rerun()
                except PilotError as exc:
                    st.error(inert(app_message(exc)))
if summary["tags"]:
    st.caption("Tags: " + inert(", ".join((f"{t} ({n})" for t, n in summary["tags"].items()))))

st.subheader("Cases")
chosen_tags = st.multiselect(
    "Filter by tag (cases carrying every selected tag)", list(summary["tags"]), key="gs_tags"
)
shown = gs.filter_by_tags(cases, chosen_tags)
st.caption(f"{inert(len(shown))} of {inert(len(cases))} cases")
st.dataframe(gs.case_rows(shown), hide_index=True, width="stretch")

if shown:
    by_id = {c.id: c for c in shown}
    case_id = st.selectbox("Open a case", list(by_id), key="gs_case")
    case = by_id[case_id]
    with st.container(border=True):
        st.markdown("**Question**")
        st.markdown(highlight_html(case.question, []), unsafe_allow_html=True)
        st.markdown("**Expected answer**")
        if case.answerable:
            st.markdown(highlight_html(case.expected_answer or "", []), unsafe_allow_html=True)
        else:
            st.markdown("_Unanswerable: the right behaviour is to abstain._")
        st.caption(
            f"Tags: {inert(', '.join(case.tags) or 'none')} · consequential: {('yes' if case.consequential else 'no')} · {inert(plural(len(case.evidence), 'evidence passage'))}"
        )
        if case.evidence:
            st.markdown("**Evidence** (highlighted in the sources below)")
            for passage in case.evidence:
                st.markdown(highlight_html(passage, [(0, len(passage))]), unsafe_allow_html=True)
        if actor.can("edit_pilot"):
            case_editor.edit_form(store, actor, name, version, case)
        whole = st.toggle("Show whole sources", key=f"gs_whole_{case.id}")
        evidence = gs.evidence_spans(case)
        fold = hashlib.blake2b(f"{version}/{case.id}".encode(), digest_size=6).hexdigest()
        for index, source in enumerate(case.sources, start=1):
            mine = [(start, end) for sid, start, end in evidence if sid == source.id]
            label = f"Source {index} of {len(case.sources)} · {plural(len(mine), 'highlighted passage')}"
            # a source with nothing highlighted is folded, and built only when opened
            box = ui.folded(label, f"gs_source_{fold}_{index}", expanded=bool(mine))
            if box is None:
                continue
            with box:
                st.markdown(
                    f"<div><b>{escape_inert(source.title or source.id)}</b> · "
                    f"<code>{escape_inert(source.id)}</code></div>",
                    unsafe_allow_html=True,
                )
                st.markdown(
                    document_html(source.text, mine, context=None if whole else 300),
                    unsafe_allow_html=True,
                )

st.subheader("Version history")
st.dataframe(
    [
        {
            "version": v.short,
            "imported": humane.local_time(v.created_at, tz),
            "by": v.created_by,
            "file": v.source_file,
            "cases": v.n_cases,
            "unanswerable": v.n_unanswerable,
            "agreed by": v.agreed_by or "—",
            "agreed at": humane.local_time(v.agreed_at, tz),
            "note": v.note or "—",
        }
        for v in history
    ],
    hide_index=True,
    width="stretch",
)

if len(history) > 1:
    st.subheader("Compare two versions")
    left, right = st.columns(2)
    old = left.selectbox(
        "From", list(labels), index=1, format_func=labels.get, key=f"gs_diff_a_{name}"
    )
    new = right.selectbox(
        "To", list(labels), index=0, format_func=labels.get, key=f"gs_diff_b_{name}"
    )
    with store.read() as con:
        diff = gs.diff_versions(con, old, new)
    st.markdown(
        f"**{inert(len(diff.added))}** added · **{inert(len(diff.removed))}** removed · **{inert(len(diff.changed))}** changed · {inert(diff.unchanged)} unchanged"
    )
    rows = diff.rows()
    if rows:
        st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            column_config={
                "before": st.column_config.TextColumn("before", width="large"),
                "after": st.column_config.TextColumn("after", width="large"),
            },
        )

ui.provenance(
    {"golden set": name, "golden set version": version, "cases shown": str(len(shown))}, produced
)
