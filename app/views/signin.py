"""Sign-in page: no pilot data is shown before this succeeds."""

from __future__ import annotations

import streamlit as st

from app import ui
from app.signin import oidc_configured
from pilot.core.inert import inert
from pilot.core.signin import authenticate
from pilot.demo import DEMO_ACCOUNTS, is_demo

st.title("Pilot Kit")
st.caption("Take one AI workflow from demo to production on evidence.")

if oidc_configured():
    if getattr(st.user, "is_logged_in", False):
        st.error(
            f"{inert(st.user.get('email'))} has no pilot account. Ask an admin to add your e-mail."
        )
        if st.button("Sign out"):
            st.logout()
    else:
        st.button("Sign in with your organisation", on_click=st.login, type="primary")
    st.stop()

with st.form("signin_form"):
    name = st.text_input("User name", key="signin_name")
    password = st.text_input("Password", type="password", key="signin_password")
    submitted = st.form_submit_button("Sign in", type="primary")

if submitted:
    attempt = authenticate(ui.store(), name.strip(), password)
    if attempt.actor is None:
        st.error(inert(attempt.message))
    else:
        ui.sign_in(attempt.actor)
        ui.open_browser_session(attempt.actor)
        st.rerun()  # the same URL: a shared link's page and query parameters open next

if is_demo(ui.store()):  # a setting only `pilot demo` writes: never shown for a real pilot
    st.warning("Demo data: this database was made by `pilot demo`. These accounts exist only here.")
    st.table(
        [{"user": n, "role": r, "password": p} for n, r, p in DEMO_ACCOUNTS],
    )
