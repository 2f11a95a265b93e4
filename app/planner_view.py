"""The sample-size planner as the Acceptance bar and Golden set pages draw it (layout only)."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core.inert import inert
from pilot.define import planner, planner_charts
from pilot.define.planner_curves import planner_curves

TONES = {"ok": st.success, "short": st.error, "none": st.info, "warn": st.warning}


def planner_box(row: planner.PlannerRow) -> None:
    """A coloured verdict in fixed words, then the plan in words (inert: a tag is text)."""
    tone, text = row.status
    TONES[tone](inert(text))
    st.markdown(f"**{inert(row.headline)}**")
    for sentence in row.sentences:
        st.markdown(f"- {inert(sentence)}")


CHARTS_LABEL = "Chance of passing, charted"


def planner_charts_row(row: planner.PlannerRow, key: str, *, fold: bool | None = None) -> None:
    """The chance of passing by true rate and by size, side by side (rates only).

    `fold` True or False: in an expander, folded or open, whose charts are built only while it
    is open, so a page with several criteria draws the charts someone opens (each Plotly chart
    costs the browser about a tenth of a second; the Acceptance bar drew eight)."""
    if row.plan is None:
        return
    if fold is None:
        _charts(row, key)
        return
    if box := ui.folded(CHARTS_LABEL, f"{key}_open", expanded=not fold):
        with box:
            _charts(row, key)


def _charts(row: planner.PlannerRow, key: str) -> None:
    curves = planner_curves(row)
    left, right = st.columns(2)
    by_rate = planner_charts.chance_by_rate_figure(row, curves)
    by_size = planner_charts.chance_by_size_figure(row, curves)
    ui.chart(by_rate, where=left, key=f"{key}_rate", width="stretch")
    ui.chart(by_size, where=right, key=f"{key}_size", width="stretch")
