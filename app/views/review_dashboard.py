"""Review dashboard: grading progress, live accuracy against the bar, critical errors,
agreement and approvals. Leads also draw samples, record approvals and grow the golden set."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from app import glossary_view, ui
from pilot.core.errors import PilotError
from pilot.core.inert import inert
from pilot.goldensets import versions as gs
from pilot.results import humane
from pilot.results.charts import pct
from pilot.results.glossary import explain
from pilot.results.humane import plural
from pilot.review import approvals, dashboard, promote, queue, sampling

actor = ui.guard("read_grades")
store = ui.store()
produced: list[str] = []

st.title("Review dashboard")
st.caption(
    "Live outputs sampled each week and graded blind by evaluators: how the system does in "
    "production, measured rather than assumed."
)
with store.read() as con:
    data = dashboard.status(con, actor.name)
    samples = sampling.list_samples(con)
if data["simulated"]:
    st.warning("Simulated: this pilot's live outputs, grades and approvals come from `pilot demo`.")

windows = [w for w in data["windows"] if w["graded"]]
bar = data["threshold"]
top = st.columns(4)
latest = windows[-1] if windows else None
top[0].metric("Live accuracy (latest week)", pct(latest["accuracy"]) if latest else "—")
top[1].metric("Graded outputs", sum(w["graded"] for w in data["windows"]))
top[2].metric("Critical errors", len(data["critical_errors"]))
alpha = data["agreement"]["alpha"]
top[3].metric(
    "Agreement (Krippendorff's α)",
    "—" if alpha is None else f"{alpha:.2f}",
    help=explain("Krippendorff's alpha"),
)

if windows:
    ui.chart(dashboard.accuracy_figure(data), key="rv_accuracy_chart")
    if latest and latest.get("plan"):
        st.caption(f"Latest week: {inert(latest['plan'])}")
elif bar is None:
    st.info("No graded live outputs yet, and no signed bar to compare them with.")
else:
    st.info("No graded live outputs yet.")
st.subheader("Live accuracy per week")
st.dataframe(
    [
        {"week": w["window"], "outputs": w["outputs"], "sampled": w["sampled"],
         "graded": w["graded"], "accuracy": pct(w["accuracy"]),
         "95% interval": f"{pct(w['low'])} – {pct(w['high'])}" if w["graded"] else "—",
         "meets bar": {True: "yes", False: "no"}.get(w.get("meets_bar"), "—"),
         "simulated": "simulated" if w["simulated"] else ""}
        for w in data["windows"]
    ],
    hide_index=True,
    key="rv_windows",
    column_config=glossary_view.columns(["95% interval"]),
)  # fmt: skip
if bar is not None:
    basis = "lower bound" if bar["judged_on"] == "lower_bound" else "point estimate"
    st.caption(
        f"Bar v{inert(bar['bar'])}: accuracy at least {inert(pct(bar['value']))} on the {inert(basis)}."
    )

st.subheader("Grading progress per evaluator and week")
if data["progress"]:
    st.dataframe(data["progress"], hide_index=True, key="rv_progress")
else:
    st.info("No item has been handed to an evaluator yet.")

st.subheader("Critical errors")
if data["critical_errors"]:
    st.dataframe(
        humane.table(
            [{k: ("simulated" if v is True else "" if v is False else v) for k, v in row.items()}
             for row in data["critical_errors"]], st.context.timezone),
        hide_index=True, key="rv_critical",
    )  # fmt: skip
else:
    st.success("No critical error graded.")

st.subheader("Agreement between graders")
agreement = data["agreement"]
st.caption(
    f"{inert(plural(agreement['n_double_graded'], 'item'))} graded by two people. Cohen's kappa per pair, "
    "Krippendorff's alpha over everyone (verdicts, nominal); 1 is perfect, 0 is chance."
)
if agreement["pairs"]:
    st.dataframe(
        [{"graders": f"{p['a']} · {p['b']}", "items": p["n"], "raw agreement": pct(p["raw"]),
          "kappa": "undefined" if p["kappa"] is None else f"{p['kappa']:.2f}"}
         for p in agreement["pairs"]],
        hide_index=True, key="rv_pairs", column_config=glossary_view.columns(["kappa"]),
    )  # fmt: skip

st.subheader("Approvals (stages 2 and 3)")
if data["approvals"]:
    st.dataframe(
        [{"week": a["window"], "decisions": a["decisions"], "approved": a["approved"],
          "edited": a["edited"], "rejected": a["rejected"],
          "approved without edit": pct(a["without_edit_rate"]),
          "95% interval": f"{pct(a['low'])} – {pct(a['high'])}",
          "simulated": "simulated" if a["simulated"] else ""} for a in data["approvals"]],
        hide_index=True, key="rv_approvals",
    )  # fmt: skip
else:
    st.info("No approval recorded yet.")

if actor.can("edit_pilot"):
    st.divider()
    st.subheader("Lead actions")
    with st.container(border=True):
        st.markdown("**Draw a sample**")
        c = st.columns(3)
        window = c[0].text_input("ISO week", key="rv_window", placeholder="2026-W40")
        size = c[1].number_input("Size", min_value=1, value=40, key="rv_size")
        seed = c[2].number_input("Seed", min_value=0, value=1, key="rv_seed")
        if st.button("Draw", key="rv_draw"):
            try:
                drawn = sampling.draw(store, actor.name, window.strip(), int(size), int(seed))
            except PilotError as exc:
                st.error(inert(exc))
            else:
                st.success(inert(f"Sample {drawn['sample_id']}: {drawn['n_items']} items, "
                                 f"{drawn['n_double']} graded twice."))  # fmt: skip
                produced.append(f"sample {drawn['sample_id']}")
    with st.container(border=True):
        st.markdown("**Claims held too long**")
        st.caption(
            "An item an evaluator opened and left without a grade stays theirs until released. "
            "Releasing hands it to the next evaluator who asks for work; it is audited."
        )
        hours = st.number_input(
            "Held longer than (hours)", min_value=0.0, step=0.5, key="rv_stale_hours",
            value=queue.CLAIM_TIMEOUT.total_seconds() / 3600,
        )  # fmt: skip
        with store.read() as con:
            stale = queue.stale_claims(con, timedelta(hours=hours))
        if stale:
            st.dataframe(
                [{"live output": c.output_id, "evaluator": c.evaluator,
                  "claimed at": c.claimed_at, "held for": c.held_for()} for c in stale],
                hide_index=True, key="rv_stale",
            )  # fmt: skip
        else:
            st.caption(
                inert(
                    f"No claim has been held longer than {hours:g} hour{'' if hours == 1 else 's'}."
                )
            )
        if st.button(
            inert(f"Release {plural(len(stale), 'claim')}"),
            key="rv_stale_release",
            disabled=not stale,
        ):
            try:
                released = queue.release_stale(store, actor.name, timedelta(hours=hours))
            except PilotError as exc:
                st.error(inert(exc))
            else:
                st.session_state["rv_stale_flash"] = f"Released {plural(len(released), 'claim')}."
                st.rerun()
        if "rv_stale_flash" in st.session_state:
            st.success(inert(st.session_state.pop("rv_stale_flash")))
    with store.read() as con:
        waiting = approvals.pending(con, limit=20)
    with st.container(border=True):
        st.markdown(f"**Approvals waiting**: {inert(len(waiting))} shown")
        if waiting:
            pick = st.selectbox(
                "Consequential output", [w["output_id"] for w in waiting], key="rv_ap_pick"
            )
            chosen = next(w for w in waiting if w["output_id"] == pick)
            st.text(f"Question: {chosen['input']}")
            st.text(f"Answer: {chosen['output']}")
            decision = st.radio("Decision", ["approved", "edited", "rejected"], key="rv_ap_dec",
                                horizontal=True)  # fmt: skip
            edited = st.text_area("Edited text (when edited)", key="rv_ap_text")
            if st.button("Record decision", key="rv_ap_save"):
                try:
                    approvals.record_approval(store, actor.name, pick, decision, edited_text=edited)
                except PilotError as exc:
                    st.error(inert(exc))
                else:
                    st.success(inert(f"Recorded: {pick} {decision} by {actor.name}."))
                    produced.append(f"approval of {pick}")
    with st.container(border=True):
        st.markdown("**Add a graded live output to the golden set**")
        with store.read() as con:
            sets = [s["name"] for s in gs.list_goldensets(con)]
        c = st.columns(2)
        output_id = c[0].text_input("Live output id", key="rv_gs_output")
        target = c[1].selectbox("Golden set", sets or ["benefits"], key="rv_gs_name")
        answer = st.text_input("Correct answer (only when it was not graded correct)",
                               key="rv_gs_answer")  # fmt: skip
        if st.button("Add as a new version", key="rv_gs_add"):
            try:
                result = promote.add_to_goldenset(
                    store, actor.name, output_id.strip(), target, answer.strip() or None
                )
            except PilotError as exc:
                st.error(inert(exc))
            else:
                st.success(inert(f"Golden set {result.name}: new version {result.short}, "
                                 f"{result.n_cases} cases."))  # fmt: skip
                produced.append(f"golden set {result.name} version {result.short}")

ui.provenance({"samples": ", ".join(s["sample_id"] for s in samples) or None}, produced)
