"""The sample-size planner as the Acceptance bar and Golden set pages draw it (layout only)."""

from __future__ import annotations

import streamlit as st

from pilot.define import planner, planner_charts
from pilot.define.planner_curves import planner_curves

TONES = {"ok": st.success, "short": st.error, "none": st.info, "warn": st.warning}


def planner_box(row: planner.PlannerRow) -> None:
    """A coloured verdict in fixed words, then the plan in words (inert: a tag is text)."""
    tone, text = row.status
    TONES[tone](text)
    st.markdown(planner_charts.row_html(row), unsafe_allow_html=True)


def planner_charts_row(row: planner.PlannerRow, key: str) -> None:
    """The chance of passing by true rate and by size, side by side (rates only)."""
    if row.plan is None:
        return
    curves = planner_curves(row)
    left, right = st.columns(2)
    left.plotly_chart(
        planner_charts.chance_by_rate_figure(row, curves), key=f"{key}_rate", width="stretch"
    )
    right.plotly_chart(
        planner_charts.chance_by_size_figure(row, curves), key=f"{key}_size", width="stretch"
    )
