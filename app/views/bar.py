"""Acceptance bar (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Acceptance bar")
st.info(
    "Not built yet. This page will hold: The written, signed contract the system must clear: criteria with thresholds and intervals, the sample-size planner and every version with its signature."
)
ui.provenance({})
