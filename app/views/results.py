"""Results: a run's verdict against the bar, metrics over time, per tag, and run versus run."""

from __future__ import annotations

import hashlib

import polars as pl
import streamlit as st

from app import glossary_view, ui
from metrics import metric_names
from pilot.core.inert import inert
from pilot.core.inert_doc import document_html
from pilot.core.store import Store
from pilot.readiness.record import record_to_show
from pilot.results import charts
from pilot.results.chart_style import is_percent, label
from pilot.results.glossary import tip
from pilot.results.humane import plural
from pilot.results.inert_chart import original_label
from pilot.results.tables import measure_rows, verdict_rows
from pilot.results.tag_heatmap import tag_heatmap
from pilot.results.view import (
    CASE_COLUMNS,
    CASE_HEADERS,
    Comparison,
    bar_name,
    baselines,
    case_side,
    cases_for,
    comparison,
    finished_runs,
    history_keys,
    history_runs,
    load_run,
    metric_history,
    p_value,
    run_metrics,
    sections,
)
from pilot.runs.record import OUTCOMES, filter_results, remembered_frames

ui.guard("read")
st.title("Results")
st.caption(
    "Every figure is recomputed from the stored results, with its 95% interval and the number "
    "of cases (n) behind it."
)
store = ui.store()

with store.read() as con:
    runs = finished_runs(con, st.context.timezone)
if not runs:
    st.info("No finished run yet. Runs are started on the Runs page (step 4).")
    ui.provenance({})
    st.stop()

labels = {r["run_id"]: r["label"] for r in runs}
with store.read() as con:
    record = record_to_show(con)
ui.linked("run", "res_run", list(labels))
if record and record.run_id in labels:
    labels[record.run_id] += " · run of record"
    st.session_state.setdefault("res_run", record.run_id)  # open on it, unless a link says
run_id = st.selectbox(
    "Run",
    list(labels),
    format_func=labels.get,
    key="res_run",
    help="Opens on the run of record; newest finished run first",
)
run = next(r for r in runs if r["run_id"] == run_id)
with store.read() as con:
    view = load_run(con, run_id)
verdict = view.verdict


@st.cache_data(max_entries=2000, show_spinner=False)
def run_estimates(db: str, rid: str, content: str, measure: str) -> dict:
    """One measure of a run, cached under a fingerprint of its stored rows (`content`): rows
    that change make a new entry, so a cached figure never goes stale. One measure at a time:
    the chart shows one, and a run's 20-odd measures cost 20 times as much to compute."""
    with Store(db).read() as con:
        return run_metrics(con, rid, (measure,))


@st.cache_data(max_entries=100, show_spinner=False)
def run_comparison(db: str, base: str, new: str, contents: tuple[str, str]) -> Comparison:
    """Two runs compared, cached under the fingerprints of both runs' stored rows."""
    with Store(db).read() as con:
        return comparison(con, base, new)


def show_case(side: dict, key: str, heading: str | None = None) -> None:
    """An answer as inert text, why it is judged so, and its citations in the source (a
    document no answer cites is folded, and built only when opened)."""
    row = side["row"]
    if heading:
        st.markdown(f"**{inert(heading)}**")
    st.text(row["answer"] or "(no answer)")
    (st.success if row["correct"] else st.error)(inert(side["why"]))
    case = hashlib.blake2b(str(row["case_id"]).encode(), digest_size=6).hexdigest()
    for i, source in enumerate(side["sources"]):
        text = f"{source['title']} · {plural(source['cited'], 'citation')}"
        box = ui.folded(text, f"{key}_{case}_{i}", expanded=bool(source["cited"]))
        if box is None:
            continue
        with box:
            if source["excerpt"]:
                st.caption("The passages around the citations; the cited text is highlighted.")
            st.markdown(document_html(source["text"], source["spans"]), unsafe_allow_html=True)


# 1 · Verdict ------------------------------------------------------------------------------
st.header("Verdict")
bar_label = bar_name(view.bar_version, view.signed)
if verdict.inconclusive:
    st.warning(
        f"**INCONCLUSIVE**: {inert(verdict.errors)} of the cases failed to reach the system "
        f"(more than the bar's {inert(round(100 * verdict.max_error_rate))}% allowance), so the "
        "run is not judged. Resume it on the Runs page to call those cases again.",
        icon=":material/help:",
    )
elif verdict.exploratory:
    if view.bar_version is None:
        judged = (
            "This run was judged against no acceptance bar. Its figures describe the system but "
            "prove nothing about readiness until a lead drafts and signs a bar (step 2)."
        )
    else:
        judged = (
            f"This run was judged against {bar_label}. The PASS/FAIL below shows how it would "
            "fare, and proves nothing about readiness until a lead signs the bar (step 2)."
        )
    st.warning(
        f"### EXPLORATORY: no signed acceptance bar\n{inert(judged)}", icon=":material/science:"
    )
elif verdict.passed:
    st.success(
        f"**PASS**: the run meets every criterion of {inert(bar_label)}.", icon=":material/check:"
    )
else:
    st.error(
        f"**FAIL**: the run misses {inert(plural(verdict.missed(), 'requirement'))} of {inert(bar_label)}.",
        icon=":material/close:",
    )
verdict_table = pl.DataFrame(verdict_rows(verdict, view.estimates, view.rows))
glossary_view.table(verdict_table, "res_verdict")
st.caption(
    "Hover a column heading for what it means; the statistical words are explained in the "
    "glossary at the foot of the page."
)
if verdict.critical_errors:
    st.markdown("**Critical errors**: consequential cases the system answered wrongly")
    st.text(", ".join(verdict.critical_errors))
else:
    st.caption("No critical errors: no consequential case was answered wrongly.")

# 2-5 · One view at a time ------------------------------------------------------------------


def over_time() -> None:
    """Any measure of the bar, run by run, with its interval and the threshold line."""
    left, right = st.columns([2, 1])
    ui.linked("measure", "res_metric", metric_names())
    metric = left.selectbox(
        "Measure",
        metric_names(),
        format_func=label,
        key="res_metric",
        persist_state="page",
        help="Any measure of the bar",
    )
    same_set = right.checkbox(
        "Only runs on this golden set version",
        True,
        key="res_same_set",
        persist_state="page",
        help="Runs on other versions answered different questions",
    )
    st.caption(
        "The 95% interval is the range the true rate most likely lies in; see the glossary.",
        help=tip("95% interval", "95% lower bound", "Wilson interval"),
    )
    charted_runs, eligible = history_runs(runs, run["goldenset_version"] if same_set else None)
    with store.read() as con:
        contents = history_keys(con, [r["run_id"] for r in charted_runs])
    with remembered_frames():  # the runs not cached yet share their golden set's cases, read once
        estimates = {
            rid: run_estimates(str(store.path), rid, c, metric) for rid, c in contents.items()
        }
    history = metric_history(charted_runs, estimates)
    ui.chart(
        charts.metric_over_runs(history, metric, view.thresholds.get(metric)),
        key="res_chart_history",
        width="stretch",
    )
    if eligible > len(charted_runs):
        st.caption(f"Only the newest {inert(len(charted_runs))} runs are charted.")
    st.caption(
        "Each point is one run; the whisker is its 95% interval; blue points clear the bar the way "
        "the bar judges it (on the lower bound where it says so), orange points do not."
    )


def by_tag() -> None:
    """The per-tag heatmap (a click filters the cases), the cases and one case opened."""
    if view.slices.is_empty():
        st.info("The golden set's cases carry no tags.")
        event = None
    else:
        event = ui.chart(
            tag_heatmap(view.slices, view.estimates),
            key="res_chart_tags",
            on_select="rerun",
            selection_mode="points",
            width="stretch",
        )
    points = event.get("selection", {}).get("points", []) if event else []
    clicked = next((p.get("customdata") for p in points if p.get("customdata")), None)
    if not points:  # a chart drawn afresh (the tab opened again) has no selection
        st.session_state.pop("res_clicked", None)
    if clicked and clicked[:2] != st.session_state.get("res_clicked"):
        st.session_state["res_clicked"] = clicked[:2]
        tag = original_label(str(clicked[0]))
        st.session_state["res_tags"] = [] if tag not in view.tags else [tag]
    ui.linked("tags", "res_tags", view.tags, multi=True)
    if "res_tags" in st.session_state:
        st.session_state["res_tags"] = [t for t in st.session_state["res_tags"] if t in view.tags]
    left, right = st.columns([2, 1])
    tags = left.multiselect(
        "Cases with tag",
        view.tags,
        key="res_tags",
        persist_state="page",
        placeholder="All tags (click a cell above, or choose)",
    )
    ui.linked("show", "res_outcome", OUTCOMES)
    outcome = right.selectbox("Show", OUTCOMES, key="res_outcome", persist_state="page")
    shown = cases_for(filter_results(view.rows, outcome), tags)
    st.caption(f"{inert(shown.height)} of {inert(view.rows.height)} cases, wrong answers first")
    st.dataframe(
        shown.select(CASE_COLUMNS).rename(CASE_HEADERS),
        hide_index=True,
        width="stretch",
        key="res_cases",
    )
    if shown.height:
        ui.linked("case", "res_case", shown["case_id"].to_list())
        case_id = st.selectbox(
            "Open a case", shown["case_id"].to_list(), key="res_case", persist_state="page"
        )
        with store.read() as con:
            side = case_side(con, run_id, view.rows, case_id)
        st.markdown("**Question**")
        st.text(side["row"]["question"])
        show_case(side, "res_source", "Answer (model output, shown as plain text)")


def every_measure() -> None:
    """Every other measure, by section of its registration."""
    charted = [(title, names) for title, names in sections(view.estimates).items()]
    for i, (title, names) in enumerate(charted):
        # a table says what the section's bar chart says (value, interval, n, the bar); the chart,
        # where the measures share a unit, is folded and built only when opened
        st.subheader(inert(title))
        measures = pl.DataFrame(measure_rows(view.estimates, view.thresholds, names, view.rows))
        glossary_view.table(measures, f"res_section_{i}")
        if all(is_percent(name) for name in names):
            box = ui.folded(f"{title}, charted", f"res_fold_section_{i}")
            if box is not None:
                ui.chart(
                    charts.metric_bars(view.estimates, view.thresholds, names, title),
                    key=f"res_chart_section_{i}",
                    width="stretch",
                    where=box,
                )


def run_versus_run() -> None:
    """The run against a baseline on the same golden set version: flips and deltas."""
    choices = baselines(runs, run_id)
    if not choices:
        st.info(
            "No other finished run on this golden set version to compare with. Run it again with a "
            "different system config to see which cases flip."
        )
        return
    ui.linked("baseline", "res_baseline", [r["run_id"] for r in choices])
    base_id = st.selectbox(
        "Baseline run",
        [r["run_id"] for r in choices],
        format_func=labels.get,
        key="res_baseline",
        persist_state="page",
        help="Runs on the same golden set version only, so the same cases are paired",
    )
    with store.read() as con:
        pair = history_keys(con, [base_id, run_id])
    cmp = run_comparison(str(store.path), base_id, run_id, (pair[base_id], pair[run_id]))
    result = cmp.result
    a, b, c = st.columns(3)
    a.metric("Now wrong", result.b, help="Right in the baseline, wrong in this run")
    b.metric("Now right", result.c, help="Wrong in the baseline, right in this run")
    c.metric(
        "McNemar p-value",
        p_value(result.p_value),
        help=tip("McNemar's exact test", "p-value"),
    )
    (st.error if result.significantly_worse() else st.caption)(inert(cmp.summary()))
    deltas = pl.DataFrame(cmp.deltas)
    glossary_view.table(deltas, "res_deltas")
    box = ui.folded("The change in each measure, charted", "res_fold_deltas")
    if box is not None:  # the table above says it; the chart is built when opened
        ui.chart(charts.delta_chart(result.deltas), key="res_chart_deltas", width="stretch",
                 where=box)  # fmt: skip
    st.subheader("Flipped cases")
    if cmp.flips.is_empty():
        st.info("No case changed between the two runs.")
        return
    st.dataframe(
        cmp.flips.rename(CASE_HEADERS, strict=False),
        hide_index=True,
        width="stretch",
        key="res_flips",
    )
    ui.linked("flip", "res_flip", cmp.flips["case_id"].to_list())
    flipped = st.selectbox(
        "Open a flipped case",
        cmp.flips["case_id"].to_list(),
        key="res_flip",
        persist_state="page",
    )
    with store.read() as con:
        before = case_side(con, base_id, cmp.base_rows, flipped)
        after = case_side(con, run_id, cmp.new_rows, flipped)
    st.markdown("**Question**")
    st.text(before["row"]["question"])
    left, right = st.columns(2)
    with left:
        show_case(before, "res_source_before", f"Baseline · {base_id}")
    with right:
        show_case(after, "res_source_after", f"This run · {run_id}")


# a view's contents are built only while its tab is open: the page draws the verdict and one
# view, not four (issue 10, item 11)
VIEWS = {  # a tab's label is its view's name in the page's link (?view=)
    "By tag": by_tag,
    "Over time": over_time,
    "Citations, abstention and service levels": every_measure,
    "Run versus run": run_versus_run,
}
# a tab's value in Session State and in the link is its label as drawn
ui.linked("view", "res_view", [inert(v) for v in VIEWS])
# a widget in a closed tab keeps its value (persist_state="page"): a filter or a case chosen
# in one view is still chosen on coming back to it
for tab, draw in zip(
    st.tabs([inert(v) for v in VIEWS], key="res_view", on_change="rerun"),
    VIEWS.values(),
    strict=True,
):
    if tab.open:
        with tab:
            draw()

glossary_view.section("res_glossary")

# 6 · Provenance ---------------------------------------------------------------------------
ui.provenance(
    {
        "run": run_id,
        "golden set version": run["goldenset_version"],
        "system config": run["config_version"],
        "bar version": bar_label if view.bar_version is not None else "none (exploratory)",
    }
)
