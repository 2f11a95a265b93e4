"""Admin: users and roles. Every change goes through `pilot.core.access`, which re-checks the role."""

from __future__ import annotations

import streamlit as st

from app import ui
from pilot.core import access, signin
from pilot.core.errors import PilotError
from pilot.core.inert import inert

actor = ui.guard("manage_users")
st.title("Users and roles")

with ui.store().read() as con:
    users = access.list_users(con)
st.dataframe(users, hide_index=True, width="stretch")

st.subheader("Add a user")
with st.form("admin_add", clear_on_submit=True):
    name = st.text_input("User name", key="admin_new_name")
    role = st.selectbox(
        "Role", access.ROLES, index=access.ROLES.index("viewer"), key="admin_new_role"
    )
    email = st.text_input("E-mail (for single sign-on)", key="admin_new_email")
    password = st.text_input("Initial password", type="password", key="admin_new_password")
    if st.form_submit_button("Add user"):
        try:
            access.add_user(
                ui.store(),
                actor.name,
                name.strip(),
                role,
                password=password or None,
                email=email.strip() or None,
            )
            st.success(f"Added {inert(name)} as {inert(role)}.")
            st.rerun()
        except PilotError as exc:
            st.error(inert(str(exc)))

st.subheader("Change a role")
names = [u["name"] for u in users]
with st.form("admin_role"):
    who = st.selectbox("User", names, key="admin_role_user")
    new_role = st.selectbox("New role", access.ROLES, key="admin_role_role")
    if st.form_submit_button("Change role"):
        try:
            access.set_role(ui.store(), actor.name, who, new_role)
            st.success(f"{inert(who)} is now {inert(new_role)}.")
            st.rerun()
        except PilotError as exc:
            st.error(inert(str(exc)))

st.subheader("Deactivate or reactivate")
with st.form("admin_active"):
    who = st.selectbox("User", names, key="admin_active_user")
    active = st.toggle("Active", value=True, key="admin_active_value")
    if st.form_submit_button("Apply"):
        try:
            access.set_active(ui.store(), actor.name, who, active)
            st.success(f"{inert(who)} is now {('active' if active else 'inactive')}.")
            st.rerun()
        except PilotError as exc:
            st.error(inert(str(exc)))
st.subheader("Locked accounts")
with ui.store().read() as con:
    locked = signin.locked_accounts(con)
if not locked:
    st.caption("No account is locked (10 failed sign-ins in 15 minutes lock one).")
else:
    with st.form("admin_unlock"):
        who = st.selectbox("Locked account", locked, key="admin_unlock_user")
        if st.form_submit_button("Unlock"):
            try:
                signin.unlock(ui.store(), actor.name, who)
                st.success(f"{inert(who)} is unlocked.")
                st.rerun()
            except PilotError as exc:
                st.error(inert(str(exc)))
ui.provenance({"users": f"{len(users)} listed", "locked accounts": str(len(locked))})
