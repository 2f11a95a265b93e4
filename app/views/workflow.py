"""Workflow and data boundary: everyone reads it; leads edit it, each save a new version."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import ui
from pilot.core.errors import InputError, PilotError, app_message
from pilot.core.inert import inert
from pilot.define import workflow as wf
from pilot.define.leak_check import leak_check_status, parse_probes, record_leak_check
from pilot.define.redaction import RedactionRule, redact, redactor_for
from pilot.goldensets.stored import list_goldensets, load_cases, resolve_version
from pilot.results import humane
from pilot.results.humane import plural

actor = ui.guard("read")
store = ui.store()

st.title("Workflow and data boundary")
st.caption(
    "What the pilot is for, who owns it, and what the system may see: which sources it may "
    "read, which case fields may leave for the model, how text is redacted on the way out, and "
    "what the provider confirmed about its use of inputs. Every save is a new version."
)

with store.read() as con:
    current = wf.current_workflow(con)
    history = wf.workflow_history(con)

if "wf_flash" in st.session_state:
    st.success(inert(st.session_state.pop("wf_flash")))


def _records(table: Any) -> list[dict[str, Any]]:
    """st.data_editor hands back a DataFrame for list input; the library takes plain rows."""
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


def _rule_rows(rules: tuple[RedactionRule, ...]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in rules]


# --- the current version, for everyone --------------------------------------------------------
if current is None:
    who = "Define it below." if actor.can("edit_pilot") else "A pilot lead defines it."
    st.info(f"No workflow recorded yet. {inert(who)}")
else:
    w, b = current.workflow, current.boundary
    st.subheader(inert(w.name))
    st.caption(
        f"Version {inert(current.version)} · hash {inert(current.content_hash[:12])} · saved by {inert(current.created_by)} at {inert(humane.local_time(current.created_at, st.context.timezone))}"
    )
    if w.description:
        st.markdown(inert(w.description))
    left, right = st.columns(2)
    with left:
        st.markdown("**Workflow**")
        st.markdown(
            f"- Process owner: **{inert(w.process_owner)}**\n- Accountable lead: **{inert(w.accountable_lead)}**\n- User group: {inert(w.user_group or '—')}\n- Systems it touches: {inert(', '.join(w.systems) or '—')}"
        )
    with right:
        st.markdown("**Data boundary**")
        readable = [
            f"{name} ({', '.join(b.collections[name])})" if name in b.collections else name
            for name in b.readable_sources
        ]
        st.markdown(
            f"- May read: {inert('; '.join(readable) or 'every source of a case')}\n- May leave for the model: {inert(', '.join(b.allowed_fields))}\n- Never leaves: {inert(', '.join(b.restricted_fields) or '—')}"
        )
        statement = b.provider_statement
        if statement:
            st.markdown(
                f"- Provider: “{inert(statement.statement)}”, confirmed by {inert(statement.confirmed_by)}"
                + (f" on {inert(statement.confirmed_at)}" if statement.confirmed_at else "")
                + (f" ({inert(statement.reference)})" if statement.reference else "")
            )
        else:
            st.markdown("- Provider data-use statement: not recorded")
    st.markdown(
        "**Redaction** (applied to every string that leaves: the question, allowlisted fields "
        "such as tags, and each source's id, title and text)"
    )
    st.dataframe(
        humane.table(_rule_rows(b.redaction_rules), st.context.timezone),
        hide_index=True,
        width="stretch",
    )
    st.text(f"Phone numbers of: {', '.join(b.phone_regions) or '—'}")
    if b.restricted_fields:
        st.dataframe(
            [
                {"never leaves": c, "owner's terms": ", ".join(b.restricted_terms.get(c, ()))}
                for c in b.restricted_fields
            ],
            hide_index=True,
            width="stretch",
        )

# --- edit (leads only) -------------------------------------------------------------------------
boundary_for_test = current.boundary if current else wf.DataBoundary()
if actor.can("edit_pilot"):
    st.subheader("Edit" if current else "Define the workflow")
    loaded = current.version if current else 0
    w = current.workflow if current else None
    b = current.boundary if current else wf.DataBoundary()
    statement = b.provider_statement
    ui.seed(
        "wf_loaded",
        loaded,
        {
            "wf_name": w.name if w else "",
            "wf_description": w.description if w else "",
            "wf_owner": w.process_owner if w else "",
            "wf_lead": w.accountable_lead if w else "",
            "wf_group": w.user_group if w else "",
            "wf_systems": "\n".join(w.systems) if w else "",
            "wf_readable": list(b.readable_sources),
            "wf_allowed": list(b.allowed_fields),
            "wf_restricted": list(b.restricted_fields),
            "wf_terms": "\n".join(f"{c}: {', '.join(t)}" for c, t in b.restricted_terms.items()),
            "wf_regions": ", ".join(b.phone_regions),
            "wf_statement": statement.statement if statement else "",
            "wf_confirmed_by": statement.confirmed_by if statement else "",
            "wf_confirmed_at": statement.confirmed_at if statement else "",
            "wf_reference": statement.reference if statement else "",
        },
    )
    base = current.boundary if current else wf.DataBoundary()

    st.markdown("**The workflow**")
    st.text_input("Name", key="wf_name", placeholder="e.g. Answer employees' benefits questions")
    st.text_area("Description", key="wf_description", height=80)
    c1, c2 = st.columns(2)
    c1.text_input("Process owner", key="wf_owner", placeholder="who owns the process today")
    c2.text_input("Accountable lead", key="wf_lead", placeholder="who answers for the pilot")
    c1.text_input("User group", key="wf_group", placeholder="who will use it")
    c2.text_area("Systems it touches (one a line)", key="wf_systems", height=80)

    st.markdown("**What the system may read**")
    collections = st.data_editor(
        [{"collection": k, "sources": ", ".join(v)} for k, v in base.collections.items()]
        or [{"collection": "", "sources": ""}],
        key=f"wf_collections_{loaded}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "collection": st.column_config.TextColumn("Collection"),
            "sources": st.column_config.TextColumn(
                "Source ids or patterns (comma-separated, e.g. annual-leave-*)"
            ),
        },
    )
    collection_rows = _records(collections)
    names = [str(r["collection"]).strip() for r in collection_rows if r.get("collection")]
    st.multiselect(
        "May read (collections or source ids; none ticked: every source of a case)",
        options=sorted(set(names) | set(st.session_state["wf_readable"])),
        key="wf_readable",
        accept_new_options=True,
    )

    st.markdown("**What may leave for the model**")
    st.multiselect(
        "Case fields that may be sent",
        options=sorted({"question", "sources", "tags", "consequential"} | set(base.allowed_fields)),
        key="wf_allowed",
    )
    st.multiselect(
        "Restricted fields: never leave, whatever else is allowed",
        options=sorted({"salary", "health"} | set(base.restricted_fields)),
        key="wf_restricted",
        accept_new_options=True,
    )
    st.text_area(
        "The data owner's restricted terms, one category a line (e.g. names: Sam Patel, Jo "
        "Bloggs). Salary and health have built-in vocabularies; every term is redacted.",
        key="wf_terms",
        height=80,
    )
    st.text_input("Phone numbers of these regions (e.g. GB, US)", key="wf_regions")
    st.caption(
        "Redaction rules: a built-in detector (checked by its library) or a regular expression "
        "per row, replaced before text leaves; add or delete rows, then test them below. "
        "Patterns run on RE2: backreferences, lookaround and nested repetition are refused."
    )
    rules = st.data_editor(
        _rule_rows(base.redaction_rules),
        key=f"wf_rules_{loaded}",
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Rule"),
            "pattern": st.column_config.TextColumn("Pattern (regular expression)"),
            "detector": st.column_config.TextColumn("Built-in detector", disabled=True),
            "replacement": st.column_config.TextColumn("Replace with"),
            "check": st.column_config.SelectboxColumn("Extra check", options=["luhn"]),
        },
    )

    st.markdown("**Provider data-use statement**")
    c1, c2 = st.columns(2)
    c1.text_input("Statement", key="wf_statement", placeholder="Inputs are not used for training")
    c2.text_input("Confirmed by", key="wf_confirmed_by", placeholder="name (role)")
    c1.text_input("Confirmed on", key="wf_confirmed_at", placeholder="YYYY-MM-DD")
    c2.text_input("Reference", key="wf_reference", placeholder="contract, DPA or ticket")

    document = wf.form_document(
        workflow={
            "name": st.session_state["wf_name"].strip(),
            "description": st.session_state["wf_description"].strip(),
            "process_owner": st.session_state["wf_owner"].strip(),
            "accountable_lead": st.session_state["wf_lead"].strip(),
            "user_group": st.session_state["wf_group"].strip(),
            "systems": wf.parse_list(st.session_state["wf_systems"]),
        },
        readable=list(st.session_state["wf_readable"]),
        collections=collection_rows,
        allowed=list(st.session_state["wf_allowed"]),
        restricted=list(st.session_state["wf_restricted"]),
        rules=_records(rules),
        terms=st.session_state["wf_terms"],
        regions=wf.parse_list(st.session_state["wf_regions"]),
        statement={
            "statement": st.session_state["wf_statement"],
            "confirmed_by": st.session_state["wf_confirmed_by"],
            "confirmed_at": st.session_state["wf_confirmed_at"],
            "reference": st.session_state["wf_reference"],
        },
    )
    try:
        edited = wf.parse_workflow_document(document, "the form")
    except PilotError as exc:
        edited = None
        st.error(inert(app_message(exc)))
    else:
        boundary_for_test = edited[1]

    if st.button("Save workflow", key="wf_save", type="primary", disabled=edited is None):
        try:
            saved = wf.save_workflow(store, actor.name, *edited)
        except PilotError as exc:
            st.error(inert(app_message(exc)))
        else:
            if current is not None and saved.version == current.version:
                st.info("Nothing changed: this is the current version.")
            else:
                st.session_state["wf_flash"] = f"Saved workflow version {saved.version}."
                st.session_state.setdefault("wf_produced", []).append(
                    f"workflow version {saved.version} ({saved.content_hash[:12]})"
                )
                st.rerun()

# --- try the redaction rules --------------------------------------------------------------------
st.subheader("Test the redaction rules")
sample = st.text_area(
    "Text to redact",
    key="wf_test",
    placeholder="e.g. I'm Sam Patel (07700 900123, sam.patel@example.com)",
    help="Shows exactly what would leave, using the boundary above (including unsaved edits): "
    "the same code a run uses at the edge.",
)
if sample:
    result = redact(sample, redactor_for(boundary_for_test))
    st.code(result.text, language=None)
    st.caption(
        f"{inert(plural(len(result.spans), 'redaction'))}: "
        + inert(", ".join(s.rule for s in result.spans))
        if result.spans
        else "Nothing matched: this text would leave unchanged."
    )

# --- the recorded leak check -------------------------------------------------------------------
st.subheader("Leak check")
with store.read() as con:
    check, check_current = leak_check_status(con)
    set_names = [g["name"] for g in list_goldensets(con)]
if check is None:
    st.warning("No leak check recorded: readiness counts the data boundary as not met.")
else:
    line = (
        f"Last check {humane.local_time(check.checked_at, st.context.timezone)} by "
        f"{check.checked_by}: {plural(check.items_tested, 'item')} tested, {plural(check.leaks_found, 'leak')}, "
        f"on workflow version {check.workflow_version}"
        + ("." if check_current else "; the boundary has changed since: check it again.")
    )
    (st.success if check.clean and check_current else st.error)(inert(line))
    if check.leaks:
        st.dataframe(check.leaks, hide_index=True, key="wf_leaks")
if actor.can("check_boundary"):
    with st.form("wf_leak_check"):
        probes_file = st.file_uploader(
            "Probe file: values that must never leave (one per line, or JSON lines)",
            type=["txt", "jsonl"],
            key="wf_probes",
        )
        scan = st.selectbox("Also scan golden set", ["(none)", *set_names], key="wf_scan")
        if st.form_submit_button("Run and record the leak check"):
            try:
                if probes_file is None:
                    raise InputError("choose a probe file first")
                probes, digest = parse_probes(probes_file.getvalue(), probes_file.name)
                with store.read() as con:
                    cases = [] if scan == "(none)" else load_cases(con, resolve_version(con, scan))
                done = record_leak_check(
                    store, actor.name, probes, digest, source=probes_file.name, cases=cases
                )
                st.session_state["wf_flash"] = (
                    f"Leak check recorded: {plural(done.items_tested, 'item')}, {plural(done.leaks_found, 'leak')}."
                )
                st.rerun()
            except PilotError as exc:
                st.error(inert(app_message(exc)))

# --- history -----------------------------------------------------------------------------------
if history:
    st.subheader("Versions")
    st.dataframe(
        [
            {
                "version": h.version,
                "name": h.workflow.name,
                "saved by": h.created_by,
                "saved at": humane.local_time(h.created_at, st.context.timezone),
                "hash": h.content_hash[:12],
            }
            for h in history
        ],
        hide_index=True,
        width="stretch",
    )

ui.provenance(
    {"workflow version": f"{current.version} ({current.content_hash[:12]})" if current else None},
    st.session_state.get("wf_produced", []),
)
