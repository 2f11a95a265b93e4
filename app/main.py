"""Pilot Kit's router: sign-in first, then the pilot's steps in order, each gated by role."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from app import ui
from app.nav import PAGES
from app.signin import oidc_actor
from pilot.core import killswitch
from pilot.core.access import can
from pilot.core.inert import inert
from pilot.readiness.status import risk_banner

HERE = Path(__file__).parent
SAYS_RISK = ("Home", "6 · Readiness")  # these pages say "at risk" in full themselves
os.umask(0o077)  # a database, WAL or key this server creates is owner-only


def visible_pages(role: str) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    for path, title, icon, permission, section in PAGES:
        if can(role, permission):
            page = st.Page(HERE / path, title=title, icon=icon, default=path.endswith("home.py"))
            sections.setdefault(section, []).append(page)
    return sections


# A local file: a `:material/...:` page icon makes the browser fetch the favicon from
# fonts.gstatic.com, and no page may fetch anything from outside the app's own origin.
# No page_title here: each page's title names its browser tab ("4b · Results", "Audit").
st.set_page_config(page_icon=str(HERE / "assets" / "icon.png"), layout="wide")

# One open database for the whole script run: every read on the page shares it instead of
# opening and closing the file (tens of ms each, more as the file grows). Held only while the
# script runs, which waits on nothing outside; another process's operation retries meanwhile.
with ui.store().held():
    actor = ui.refreshed_actor() or ui.resumed_actor() or oidc_actor(ui.store())
    if actor is None:
        # Sign-in answers at every page's address, so a shared link keeps its page and query
        # parameters through sign-in instead of showing "Page not found".
        st.navigation(
            [
                st.Page(
                    HERE / "views/signin.py",
                    title="Sign in",
                    url_path=Path(path).stem,
                    default=path.endswith("home.py"),
                )
                for path, *_ in PAGES
            ],
            position="hidden",
        ).run()
        ui.load_element_code()  # while the user signs in
        st.stop()
    ui.sign_in(actor)
    ui.keep_browser_session()

    st.session_state.pop(ui.LINKS, None)
    page = st.navigation(visible_pages(actor.role))
    with ui.store().read() as con:
        kill_state = killswitch.state(con)
        # Home and Readiness say it in full themselves: not asked twice on those pages
        at_risk = None if page.title in SAYS_RISK else risk_banner(con, actor.role)

    with st.sidebar:
        st.markdown(f"**{inert(actor.name)}** · {inert(actor.role)}")
        if kill_state.engaged:
            st.error(f"Kill switch ENGAGED by {inert(kill_state.by)}: {inert(kill_state.reason)}")
        else:
            st.caption("Kill switch: off (system calls allowed)")
        if st.button("Sign out", key="nav_signout"):
            ui.sign_out()
            st.rerun()

    if at_risk:
        st.error(inert(at_risk))
    page.run()
    ui.write_links()  # the page's run, case and filters, so its URL opens exactly this view
    ui.load_element_code()  # a session resumed from its cookie: after its first page is drawn
