"""The glossary on a page, and tooltips for table headings: the words come from
`pilot.results.glossary`, the one place statistical terms are explained."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from pilot.core.inert import labelled_paragraphs
from pilot.results import glossary


def columns(headings: Iterable[str]) -> dict[str, Any]:
    """`column_config` giving each statistical heading its plain-words tooltip."""
    return {
        heading: st.column_config.Column(help=text)
        for heading, text in glossary.column_help(headings).items()
    }


def table(frame: Any, key: str) -> None:
    """A full-width table whose statistical headings carry their plain-words tooltips."""
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=key,
        column_config=columns(frame.columns),
    )


def section(key: str = "glossary") -> None:
    """Every term the app uses, in plain words."""
    st.header("Glossary", anchor=key)
    st.caption("The statistical words on these pages, in plain words.")
    st.markdown(labelled_paragraphs(glossary.entries()))  # one element, not one per term
