"""Golden set (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Golden set")
st.info(
    "Not built yet. This page will hold: Upload and validate golden sets, browse cases and their evidence, and compare versions."
)
ui.provenance({})
