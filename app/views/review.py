"""Review (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Review")
st.info(
    "Not built yet. This page will hold: Sampled live outputs graded blind by evaluators, with progress and agreement."
)
ui.provenance({})
