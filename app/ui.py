"""Shared page helpers: the store, the signed-in actor, guards and the provenance footer.

Layout only: every rule and number comes from `pilot` or `metrics`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from app import warmup
from pilot.core import web_sessions
from pilot.core.access import Actor, can, find_actor
from pilot.core.inert import inert
from pilot.core.store import Store

SESSION_USER = "auth_user"
SESSION_ROLE = "auth_role"
SESSION_ID = "auth_session"  # the browser session (pilot.core.web_sessions) behind the cookie
SESSION_TICKET = "auth_ticket"  # handed to the browser once, right after sign-in
SESSION_TOUCHED = "auth_touched"
ELEMENT_CODE_LOADED = "_element_code_loaded"
WARM_CHART = "warm_chart"  # the off-screen chart that load_element_code draws


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


def open_browser_session(actor: Actor) -> None:
    """After a password sign-in: open a session the browser keeps as a cookie, so a reload or
    a shared link finds the user still signed in."""
    session_id, ticket = web_sessions.open_session(store(), actor)
    st.session_state[SESSION_ID] = session_id
    st.session_state[SESSION_TICKET] = ticket


def resumed_actor() -> Actor | None:
    """The user the browser's session cookie names, if that session is still good."""
    resumed = web_sessions.resume(store(), st.context.cookies.get(web_sessions.COOKIE))
    if resumed is None:
        return None
    st.session_state[SESSION_ID] = resumed.session_id
    st.session_state[SESSION_TOUCHED] = time.monotonic()
    return resumed.actor


def keep_browser_session() -> None:
    """Hand the browser its ticket once; mark the session used now and then, signing out
    here too when it has ended (sign-out elsewhere, a role change, idleness)."""
    if ticket := st.session_state.pop(SESSION_TICKET, None):
        st.html(web_sessions.ticket_script(ticket), unsafe_allow_javascript=True)
    session_id = st.session_state.get(SESSION_ID)
    last = st.session_state.get(SESSION_TOUCHED, 0.0)
    if session_id and time.monotonic() - last > web_sessions.TOUCH_EVERY.total_seconds():
        st.session_state[SESSION_TOUCHED] = time.monotonic()
        if not web_sessions.touch(store(), session_id):
            sign_out()
            st.rerun()


def sign_out() -> None:
    if session_id := st.session_state.get(SESSION_ID):
        web_sessions.revoke(store(), session_id)
    for key in (SESSION_USER, SESSION_ROLE, SESSION_ID, SESSION_TICKET, SESSION_TOUCHED):
        st.session_state.pop(key, None)


def guard(permission: str) -> Actor:
    """Stop the page unless someone is signed in with a role that has `permission`."""
    actor = refreshed_actor()
    if actor is None:
        st.warning("Sign in to see this page.")
        st.stop()
    if not can(actor.role, permission):
        st.error(f"Your role ({inert(actor.role)}) cannot open this page.")
        st.stop()
    return actor


def chart(fig: Any, *, where: Any = None, **kwargs: Any) -> Any:
    """Draw a Plotly figure with its data labels made inert (the one way pages draw charts)."""
    from pilot.results.inert_chart import inert_figure

    return (where or st).plotly_chart(inert_figure(fig), **kwargs)


def folded(text: str, key: str, *, expanded: bool = False) -> Any | None:
    """An expander (labelled with `text`, made inert) whose contents are built only while it is
    open: the expander while open, None while folded (a folded expander's contents are
    otherwise sent and drawn, hidden)."""
    box = st.expander(inert(text), expanded=expanded, key=key, on_change="rerun")
    return box if box.open else None


def load_element_code() -> None:
    """Once per browser session: have the browser load Streamlit's chart and table code now
    (on the sign-in page, or once the session's first page is drawn) instead of on the first
    page with a chart or a table, which otherwise waits for it (`app.warmup`), and draw one
    chart no one sees."""
    if st.session_state.get(ELEMENT_CODE_LOADED):
        return
    st.session_state[ELEMENT_CODE_LOADED] = True
    if warmup.element_code_script():
        st.html(warmup.element_code_script(), unsafe_allow_javascript=True)
    # and have it draw one chart, off-screen and hidden: the first chart a page draws
    # otherwise waits while the browser compiles Plotly's drawing code (~0.2 s of CPU)
    with st.container(key=WARM_CHART):
        st.html(warmup.hidden_style(WARM_CHART))
        st.plotly_chart(warmup.warm_figure(), key=f"{WARM_CHART}_figure")


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


def seed(marker_key: str, marker: object, values: Mapping[str, Any]) -> bool:
    """Seed a form's widget keys. When the record it shows changed (`marker`), every key is
    (re)set; otherwise only missing keys are, because Streamlit drops a widget's key on any run
    that does not draw it (a visit to another page, a field shown only for one choice), so a
    page never reads a key that is gone. True when the whole form was reloaded."""
    state = st.session_state
    if state.get(marker_key, "unset") != marker:
        state.update(values)
        state[marker_key] = marker
        return True
    for key, value in values.items():
        if key not in state:
            state[key] = value
    return False


LINKS = "_url_links"  # (param, key, multi) the current run linked to the URL
LINK_SEEN = "_url_seen_"  # + param: the value this session last put in (or took from) the URL


def linked(param: str, key: str, options: Sequence[Any], *, multi: bool = False) -> None:
    """Tie widget `key` to query parameter `param` so a link opens exactly what was shared.

    Call before drawing the widget: a value in the URL that this session has not seen yet (a
    link just opened) is put into the widget, if it is one of `options`; after the page ran,
    `write_links` puts the widget's value back into the URL."""
    raw = st.query_params.get(param)
    if raw is not None and st.session_state.get(LINK_SEEN + param) != raw:
        st.session_state[LINK_SEEN + param] = raw
        by_text = {str(o): o for o in options}
        if multi:
            values = [by_text[v] for v in raw.split(",") if v in by_text]
            st.session_state[key] = values
        elif raw in by_text:
            st.session_state[key] = by_text[raw]
    st.session_state.setdefault(LINKS, {})[param] = (key, multi)


def write_links() -> None:
    """Put the linked widgets' values into the URL (called once the page has run)."""
    for param, (key, multi) in st.session_state.pop(LINKS, {}).items():
        value = st.session_state.get(key)
        text = ",".join(map(str, value)) if multi and value is not None else value
        if text is None or text == "":
            if param in st.query_params:
                del st.query_params[param]
            st.session_state.pop(LINK_SEEN + param, None)
        else:
            st.session_state[LINK_SEEN + param] = str(text)
            if st.query_params.get(param) != str(text):
                st.query_params[param] = str(text)
