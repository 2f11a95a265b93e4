"""The Runs page's case view (layout only): one case of one run traced by
`pilot.runs.trace`: verdict, what it cost, the cited passages in context, the request as sent."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from app import ui
from metrics.units import UNITS
from pilot.core.inert import inert
from pilot.core.inert_doc import document_html
from pilot.results.humane import plural
from pilot.runs.scoring import explain
from pilot.runs.trace import CONTEXT, CaseTrace


def show(row: dict[str, Any], trace: CaseTrace | None, key: str = "runs_trace") -> None:
    """The case; its whole documents, other sources and the request are folded and built only
    when opened (`key` + the run and case name their expanders, so each case opens folded)."""
    st.markdown("**Question**")
    st.text(row["question"])
    st.markdown("**Answer** (model output, shown as plain text)")
    st.text(row["answer"] or "(no answer)")
    (st.success if row["correct"] else st.error)(inert(explain(row)))
    if trace is None:
        return
    st.markdown(f"**System** (the config that answered this run): {inert(trace.system)}")
    cols = st.columns(4)
    cols[0].metric("Tokens in / out", f"{trace.input_tokens:,} / {trace.output_tokens:,}")
    cols[1].metric(
        "Latency",
        "—" if trace.latency_ms is None else f"{trace.latency_ms:,.0f} ms",
        help="From sending the request to storing the answer, retries included",
    )
    cols[2].metric(
        "Cost",
        "unknown" if trace.cost_usd is None else UNITS["usd"].text(trace.cost_usd, 4),
        help="At list price for the model's recorded usage; unknown when it has no price",
    )
    cols[3].metric(
        "Calls",
        "from the cache" if trace.cached else plural(trace.attempts, "attempt"),
    )
    fold = f"{key}_{hashlib.blake2b(f'{trace.run_id}/{trace.case_id}'.encode(), digest_size=6).hexdigest()}"
    cited = trace.cited
    st.markdown(f"**Cited passages** ({inert(plural(len(cited), 'source'))})")
    if not cited:
        st.caption("The answer cites nothing.")
    for i, passage in enumerate(cited):
        with st.container(border=True):
            st.text(f"{passage.title} · {plural(passage.cited, 'citation')}")
            st.markdown(
                document_html(passage.text, passage.spans, context=CONTEXT),
                unsafe_allow_html=True,
            )
            if whole := ui.folded("Whole document", f"{fold}_doc_{i}"):
                with whole:
                    st.markdown(document_html(passage.text, passage.spans), unsafe_allow_html=True)
    others = [p for p in trace.passages if not p.spans]
    if others and (
        box := ui.folded(f"Other sources of this case ({len(others)})", f"{fold}_others")
    ):
        with box:
            for passage in others:
                offered = (
                    "offered to the system" if passage.offered else "kept back by the boundary"
                )
                st.text(f"{passage.title} · {offered}")
                st.markdown(document_html(passage.text, []), unsafe_allow_html=True)
    request = ui.folded("The request as sent (redacted by the data boundary)", f"{fold}_request")
    if request is None:
        return
    with request:
        if trace.request is None:
            st.caption(inert(trace.boundary))
        else:
            check = "exactly as sent" if trace.exact else "not verified"
            st.caption(
                f"{inert(check)}: {inert(trace.boundary)}; "
                f"{inert(plural(trace.redactions, 'text'))} redacted."
            )
            st.code(trace.request_json(), language="json", wrap_lines=True)
