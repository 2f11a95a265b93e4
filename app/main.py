"""Pilot Kit's router: sign-in first, then the pilot's steps in order, each gated by role."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app import ui
from app.signin import oidc_actor
from pilot.core import killswitch
from pilot.core.access import can

HERE = Path(__file__).parent
os.umask(0o077)  # a database, WAL or key this server creates is owner-only

# (file, title, icon, permission, section)
PAGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("views/home.py", "Home", ":material/checklist:", "read", "Pilot"),
    ("views/workflow.py", "1 · Workflow", ":material/account_tree:", "read", "Pilot"),
    ("views/bar.py", "2 · Acceptance bar", ":material/rule:", "read", "Pilot"),
    ("views/goldenset.py", "3 · Golden set", ":material/dataset:", "read", "Pilot"),
    ("views/runs.py", "4 · Runs", ":material/play_circle:", "read", "Pilot"),
    ("views/results.py", "4b · Results", ":material/monitoring:", "read", "Pilot"),
    ("views/review.py", "5 · Review", ":material/grading:", "read", "Pilot"),
    ("views/readiness.py", "6 · Readiness", ":material/stairs:", "read", "Pilot"),
    ("views/evidence.py", "7 · Evidence", ":material/description:", "read", "Pilot"),
    ("views/audit.py", "Audit", ":material/verified_user:", "audit", "Oversight"),
    ("views/admin.py", "Admin", ":material/manage_accounts:", "manage_users", "Oversight"),
)


def visible_pages(role: str) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for path, title, icon, permission, section in PAGES:
        if can(role, permission):
            page = st.Page(HERE / path, title=title, icon=icon, default=path.endswith("home.py"))
            sections.setdefault(section, []).append(page)
    return sections


st.set_page_config(page_title="Pilot Kit", page_icon=":material/flight_takeoff:", layout="wide")

actor = ui.refreshed_actor() or oidc_actor(ui.store())
if actor is None:
    st.navigation([st.Page(HERE / "views/signin.py", title="Sign in")], position="hidden").run()
    st.stop()
ui.sign_in(actor)

with ui.store().read() as con:
    kill_state = killswitch.state(con)

with st.sidebar:
    st.markdown(f"**{actor.name}** · {actor.role}")
    if kill_state.engaged:
        st.error(f"Kill switch ENGAGED by {kill_state.by}: {kill_state.reason}")
    else:
        st.caption("Kill switch: off (system calls allowed)")
    if st.button("Sign out", key="nav_signout"):
        ui.sign_out()
        st.rerun()

st.navigation(visible_pages(actor.role)).run()
