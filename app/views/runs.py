"""Runs (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Runs")
st.info(
    "Not built yet. This page will hold: Run a system config over a golden set version and browse every result with its citations."
)
ui.provenance({})
