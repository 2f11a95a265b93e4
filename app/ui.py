"""Shared page helpers: the store, the signed-in actor, guards and the provenance footer.

Layout only: every rule and number comes from `pilot` or `metrics`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import streamlit as st

from pilot.core.access import Actor, can, find_actor
from pilot.core.store import Store

SESSION_USER = "auth_user"
SESSION_ROLE = "auth_role"


def store() -> Store:
    return Store(os.environ.get("PILOT_DB"))


def current_actor() -> Actor | None:
    name = st.session_state.get(SESSION_USER)
    role = st.session_state.get(SESSION_ROLE)
    return Actor(name, role) if name and role else None


def refreshed_actor() -> Actor | None:
    """The signed-in user as the database says now: a deactivated user is signed out and a
    changed role takes effect on the next rerun, not at the next sign-in."""
    actor = current_actor()
    if actor is None:
        return None
    with store().read() as con:
        fresh = find_actor(con, actor.name)
    if fresh is None:
        sign_out()
    return fresh


def sign_in(actor: Actor) -> None:
    st.session_state[SESSION_USER] = actor.name
    st.session_state[SESSION_ROLE] = actor.role


def sign_out() -> None:
    for key in (SESSION_USER, SESSION_ROLE):
        st.session_state.pop(key, None)


def guard(permission: str) -> Actor:
    """Stop the page unless someone is signed in with a role that has `permission`."""
    actor = refreshed_actor()
    if actor is None:
        st.warning("Sign in to see this page.")
        st.stop()
    if not can(actor.role, permission):
        st.error(f"Your role ({actor.role}) cannot open this page.")
        st.stop()
    return actor


def provenance(reads: Mapping[str, str | None], produced: Sequence[str] = ()) -> None:
    """Like a notebook cell's footer: what this page read and what it produced."""
    st.divider()
    with st.expander("Provenance", expanded=False):
        if reads:
            for label, value in reads.items():
                st.text(f"read  {label}: {value or '—'}")
        for record in produced:
            st.text(f"wrote {record}")
        if not reads and not produced:
            st.text("this page read no versioned record")
