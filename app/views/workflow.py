"""Workflow and data boundary (step page; filled in by its own issue)."""

from __future__ import annotations

import streamlit as st

from app import ui

ui.guard("read")
st.title("Workflow and data boundary")
st.info(
    "Not built yet. This page will hold: The workflow, its owners and the data boundary: which sources the system may read, which fields may leave, the redaction rules and the provider's data-use statement."
)
ui.provenance({})
