"""Acceptance bar: leads draft and sign it; everyone reads it, its planner and its history."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app import bar_form, planner_view, ui
from pilot.core.errors import PilotError, app_message
from pilot.core.inert import inert
from pilot.define import bar_versions, bars, criteria, planner
from pilot.define.workflow import parse_model
from pilot.goldensets import sizes
from pilot.goldensets.stored import version_rows
from pilot.results import humane

actor = ui.guard("read")
store = ui.store()

st.title("Acceptance bar")
st.caption(
    "The written contract the system must clear, agreed before anything is built. A draft is "
    "exploratory; signing records who, when and the content hash, and a signed version never "
    "changes: editing it makes a new draft version."
)

with store.read() as con:
    latest = bar_versions.latest_bar(con)
    signed = bar_versions.latest_signed_bar(con)
    history = bar_versions.bar_history(con)
    goldensets = version_rows(con)

# The planner's golden set and chance of passing: the ones saved with the bar, else the newest.
saved_plan = (latest.bar.planning if latest else None) or bars.Planning()
choices = {v[0]: f"{v[1]} · {v[0][:12]} · {v[2]} cases" for v in goldensets}
planned_set = saved_plan.goldenset_version
newest_set = goldensets[0][0] if goldensets else None
ui.seed(
    "bar_plan_loaded",
    latest.version if latest else None,
    {
        "bar_power": saved_plan.power,
        "bar_plan_set": planned_set if planned_set in choices else newest_set,
    },
)
if st.session_state.get("bar_plan_set") not in choices:
    st.session_state["bar_plan_set"] = newest_set
with store.read() as con:
    plan_ctx = sizes.planner_context(con, st.session_state["bar_plan_set"])
golden = plan_ctx.golden

if "bar_flash" in st.session_state:
    st.success(inert(st.session_state.pop("bar_flash")))

# --- status badge ------------------------------------------------------------------------------
if latest is None:
    who = "Build it below." if actor.can("edit_pilot") else "A pilot lead drafts it."
    st.info(f"No acceptance bar yet: every run is exploratory. {inert(who)}")
elif latest.signed:
    st.success(inert(latest.status(humane.local_time(latest.signed_at, st.context.timezone))))
    st.caption(f"Signature {inert(latest.signature_hash)}")
else:
    st.warning(inert(latest.status()))
    if signed is not None:
        st.caption(
            f"Runs are judged against signed version {inert(signed.version)} until this draft is signed."
        )
for problem in latest.problems() if latest else []:
    st.error(
        f"Bar version {inert(latest.version)}: {inert(problem)}. It was changed outside Pilot Kit."
    )

METRICS = criteria.metric_choices()
JUDGED = {"lower_bound": "95% bound (conservative)", "point": "point estimate"}


def _bar_view(bar: bars.AcceptanceBar, key: str, *, fold: bool | None = True) -> None:
    """Read-only: each criterion with its planner (at the default expected rate), then the rest;
    each criterion's charts folded until opened (`fold`; None: all drawn). The planner's verdict
    in words is always shown; two charts cost the browser about 0.3 s (issue 10, item 11)."""
    for index, c in enumerate(bar.criteria):
        rate = planner.expected_rate(bar, c)
        row = planner.plan_row(plan_ctx, index, c, rate, power)
        with st.container(border=True):
            left, right = st.columns([2, 3])
            left.markdown(f"**{inert(row.description)}**")
            if row.plan is not None:
                left.caption(f"Expected rate: {inert(planner.rate_text(rate))}")
            with right:
                planner_view.planner_box(row)
            planner_view.planner_charts_row(row, f"{key}_{index}", fold=fold)
    for line in bars.describe_bar(bar)[len(bar.criteria) :]:
        st.markdown(f"- {inert(line)}")
    if note := planner.min_cases_note(plan_ctx, bar):
        st.caption(inert(note))


plan_left, plan_right = st.columns([1, 3])
plan_left.number_input(
    "Chance of passing to plan for",
    min_value=0.50,
    max_value=0.99,
    step=0.05,
    format="%.2f",
    key="bar_power",
    help="The planner sizes the golden set so that a system as good as you expect passes "
    "this often; a system exactly at the threshold passes about 2.5% of the time.",
)
if choices:
    plan_right.selectbox(
        "Plan against golden set",
        list(choices),
        format_func=choices.get,
        key="bar_plan_set",
        disabled=not actor.can("edit_pilot"),
        help="The golden set whose cases the planner counts; saved with the draft.",
    )
power = float(st.session_state["bar_power"])


# --- the editor (leads) ------------------------------------------------------------------------
def _add_row() -> None:
    rid = st.session_state["bar_next"]
    st.session_state["bar_next"] = rid + 1
    st.session_state["bar_rows"] = [*st.session_state["bar_rows"], rid]
    st.session_state.update(bar_form.row_values(rid, bar_form.NEW_CRITERION, None))


def _reset_expected(rid: int) -> None:
    """A new metric or threshold gets a fresh default guess (95% false abstentions is no guess)."""
    try:
        criterion = criteria.Criterion.model_validate(_criterion(rid))
    except ValueError:
        return
    st.session_state[f"bar_c_expected_{rid}"] = bar_form.percent(
        planner.default_expected_rate(criterion)
    )


def _remove_row(rid: int) -> None:
    st.session_state["bar_rows"] = [r for r in st.session_state["bar_rows"] if r != rid]


def _criterion(rid: int) -> dict[str, Any]:
    return {
        "metric": st.session_state[f"bar_c_metric_{rid}"],
        "threshold": bar_form.stored_threshold(
            st.session_state[f"bar_c_metric_{rid}"], st.session_state[f"bar_c_threshold_{rid}"]
        ),
        "scope": st.session_state[f"bar_c_scope_{rid}"],
        "judged_on": st.session_state[f"bar_c_judged_{rid}"],
    }


draft: bars.AcceptanceBar | None = None
if actor.can("edit_pilot"):
    st.subheader("Edit the bar" if latest else "Build the bar")
    if latest is not None and latest.signed:
        st.caption(
            f"Version {inert(latest.version)} is signed and stays as it is: saving makes draft version {inert(latest.version + 1)}, which needs its own signature."
        )
    loaded = (latest.version, latest.signed) if latest else None
    if st.session_state.get("bar_loaded", "unset") != loaded:
        for key in [k for k in st.session_state if str(k).startswith("bar_c_")]:
            del st.session_state[key]  # rows of the bar shown before
    ui.seed("bar_loaded", loaded, bar_form.form_values(latest.bar if latest else None, None))
    # rows the lead added or removed since; a key Streamlit dropped is seeded again
    ui.seed(
        "bar_loaded",
        loaded,
        bar_form.form_values(latest.bar if latest else None, st.session_state["bar_rows"]),
    )
    scopes = ["all"] + [f"tag:{t}" for t in plan_ctx.tags]
    for index, rid in enumerate(st.session_state["bar_rows"]):
        current_scope = st.session_state[f"bar_c_scope_{rid}"]
        options = scopes if current_scope in scopes else [*scopes, current_scope]
        chosen = st.session_state[f"bar_c_metric_{rid}"]
        judged_on = criteria.judged_on_choices(chosen) if chosen in METRICS else tuple(JUDGED)
        if st.session_state[f"bar_c_judged_{rid}"] not in judged_on:
            st.session_state[f"bar_c_judged_{rid}"] = judged_on[0]
        asked = criteria.threshold_input(chosen) if chosen in METRICS else None
        with st.container(border=True):
            left, right = st.columns([3, 2])
            with left:
                a, b = st.columns(2)
                a.selectbox(
                    "Metric",
                    list(METRICS),
                    key=f"bar_c_metric_{rid}",
                    format_func=lambda name: METRICS.get(name, name),
                    on_change=_reset_expected,
                    args=(rid,),
                )
                b.number_input(
                    inert(asked.label) if asked else "Threshold",
                    min_value=0.0,
                    step=asked.step if asked else 0.01,
                    format=asked.format if asked else "%.1f",
                    key=f"bar_c_threshold_{rid}",
                    on_change=_reset_expected,
                    args=(rid,),
                )
                a.selectbox(
                    "Scope",
                    options,
                    key=f"bar_c_scope_{rid}",
                    accept_new_options=True,
                    help="All cases, or only the cases with one tag (type tag:<name> for another).",
                )
                b.radio(
                    "Judged on",
                    list(judged_on),
                    key=f"bar_c_judged_{rid}",
                    format_func=JUDGED.__getitem__,
                    horizontal=True,
                )
                st.button(
                    "Remove this criterion",
                    key=f"bar_c_remove_{rid}",
                    on_click=_remove_row,
                    args=(rid,),
                )
            with right:
                try:
                    criterion = parse_model(
                        criteria.Criterion, _criterion(rid), f"criterion {index + 1}"
                    )
                except PilotError as exc:
                    st.error(inert(app_message(exc)))
                    continue
                st.markdown(f"**{inert(criteria.describe_criterion(criterion))}**")
                if planner.plannable(criterion):
                    st.number_input(
                        "Expected rate, % (your best guess at what the system will reach)",
                        min_value=0.0,
                        max_value=100.0,
                        step=0.5,
                        format="%.1f",
                        key=f"bar_c_expected_{rid}",
                    )
                expected = bar_form.rate(st.session_state[f"bar_c_expected_{rid}"])
                row = planner.plan_row(plan_ctx, index, criterion, expected, power)
                planner_view.planner_box(row)
            planner_view.planner_charts_row(row, f"bar_chart_{rid}", fold=True)
    st.button("Add a criterion", key="bar_add", on_click=_add_row)

    a, b = st.columns(2)
    a.number_input("Minimum cases in the golden set", min_value=1, step=1, key="bar_min_cases")
    b.number_input("Critical errors allowed", min_value=0, step=1, key="bar_max_critical")
    st.text_area(
        "When unsure, the system must…",
        key="bar_when_unsure",
        placeholder="e.g. abstain and route the question to HR",
        height=70,
    )
    a, b = st.columns(2)
    a.selectbox("Answer matches when", bars.MATCH_RULES, key="bar_match_rule")
    rule = st.session_state["bar_match_rule"]
    if rule == "f1":
        b.number_input(
            "Threshold", min_value=0.0, max_value=1.0, step=0.05, key="bar_match_threshold"
        )
    if rule == "numeric":
        b.number_input("Tolerance (±)", min_value=0.0, step=0.5, key="bar_match_tolerance")
    if rule == "judge":
        b.text_input("Judge model", key="bar_match_judge_model")
        st.text_area(
            "Rubric: what the judge counts as a correct answer", key="bar_match_rubric", height=90
        )

    document = {
        "criteria": [_criterion(rid) for rid in st.session_state["bar_rows"]],
        "min_cases": st.session_state["bar_min_cases"],
        "max_critical_errors": st.session_state["bar_max_critical"],
        "when_unsure": st.session_state["bar_when_unsure"].strip(),
        "match_rule": {
            "rule": rule,
            "threshold": st.session_state["bar_match_threshold"],
            "tolerance": st.session_state["bar_match_tolerance"],
            "rubric": st.session_state.get("bar_match_rubric"),
            "judge_model": st.session_state.get("bar_match_judge_model"),
        },
    }
    try:
        draft = parse_model(bars.AcceptanceBar, document, "the bar")
    except PilotError as exc:
        st.error(inert(app_message(exc)))
    else:  # the planner's assumptions go with the draft
        rates = {
            c: bar_form.rate(st.session_state[f"bar_c_expected_{rid}"])
            for rid, c in zip(st.session_state["bar_rows"], draft.criteria, strict=True)
            if planner.plannable(c)
        }
        planning = planner.planning_to_save(
            latest.bar if latest else None,
            rates,
            st.session_state["bar_plan_set"],
            power,
            newest_set,
        )
        draft = draft.model_copy(update={"planning": planning})

    st.subheader("In plain language")
    if draft is not None:
        st.markdown(inert("\n".join(f"- {line}" for line in bars.describe_bar(draft))))
        if note := planner.min_cases_note(plan_ctx, draft):
            st.caption(inert(note))

    changed = draft is not None and (latest is None or draft.content_hash != latest.content_hash)
    if st.button("Save draft", key="bar_save", type="primary", disabled=not changed):
        try:
            saved = bar_versions.save_draft(
                store, actor.name, draft, base=latest.version if latest else None
            )
        except PilotError as exc:
            st.error(inert(app_message(exc)))
        else:
            st.session_state["bar_flash"] = f"Saved draft version {saved.version}."
            st.session_state.setdefault("bar_produced", []).append(
                f"bar version {saved.version} (draft, {saved.content_hash[:12]})"
            )
            st.rerun()

    if actor.can("sign") and latest is not None and not latest.signed:
        st.subheader(f"Sign version {inert(latest.version)}")
        problems = bar_versions.signable_problems(latest.bar)
        if changed:
            st.info("You have unsaved changes: save the draft first, then sign what you saved.")
        for problem in problems:
            st.warning(inert(problem))
        agreed = st.checkbox(
            "I have agreed this bar with the process owner",
            key="bar_confirm",
            disabled=changed or bool(problems),
        )
        if st.button("Sign", key="bar_sign", disabled=changed or bool(problems) or not agreed):
            try:
                done = bar_versions.sign_bar(store, actor.name, latest.version)
            except PilotError as exc:
                st.error(inert(app_message(exc)))
            else:
                st.session_state["bar_flash"] = f"Signed version {done.version}."
                st.session_state.setdefault("bar_produced", []).append(
                    f"signature on bar version {done.version} ({done.signature_hash[:12]})"
                )
                st.session_state.pop("bar_confirm", None)
                st.rerun()
elif latest is not None:
    st.subheader(f"Version {inert(latest.version)}")
    _bar_view(latest.bar, "bar_view")
    if not latest.signed and signed is not None:
        label = f"Signed version {signed.version}, which runs are judged against"
        if box := ui.folded(label, "bar_signed_open"):  # charts inside: expanders cannot nest
            with box:
                _bar_view(signed.bar, "bar_signed", fold=None)

# --- history and diff ---------------------------------------------------------------------------
if history:
    st.subheader("Versions")
    st.dataframe(
        [
            {
                "version": h.version,
                "status": "signed" if h.signed else "draft",
                "signed by": h.signed_by or "—",
                "signed at": humane.local_time(h.signed_at, st.context.timezone),
                "hash": h.content_hash[:12],
                "parent": h.parent_version or "—",
                "saved by": h.created_by,
                "saved at": humane.local_time(h.created_at, st.context.timezone),
            }
            for h in history
        ],
        hide_index=True,
        width="stretch",
    )
if len(history) > 1:
    versions = [h.version for h in reversed(history)]
    a, b = st.columns(2)
    first = a.selectbox("Compare version", versions, index=len(versions) - 2, key="bar_diff_a")
    second = b.selectbox("with version", versions, index=len(versions) - 1, key="bar_diff_b")
    by_version = {h.version: h for h in history}
    for line in bars.diff_bars(by_version[first].bar, by_version[second].bar).lines():
        st.markdown(f"- {inert(line)}")

ui.provenance(
    {
        "bar version": latest.status(humane.local_time(latest.signed_at, st.context.timezone))
        if latest
        else None,
        "latest signed bar": f"version {signed.version} ({signed.content_hash[:12]})"
        if signed
        else None,
        "golden set (planner)": f"{golden.name} {golden.version[:16]} ({golden.n_cases} cases)"
        if golden
        else None,
    },
    st.session_state.get("bar_produced", []),
)
