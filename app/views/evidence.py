"""Evidence report (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Evidence report")
st.info(
    "Not built yet. This page will hold: The self-contained report a pilot lead presents to risk and compliance."
)
ui.provenance({})
