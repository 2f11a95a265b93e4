"""Readiness (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Readiness")
st.info(
    "Not built yet. This page will hold: The autonomy ladder: each gate with the evidence behind it, promotions and who can stop the system."
)
ui.provenance({})
