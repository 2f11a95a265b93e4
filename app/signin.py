"""Sign-in: OIDC through `st.login` when configured, otherwise local accounts."""

from __future__ import annotations

import streamlit as st

from pilot.core.access import Actor, actor_for_email
from pilot.core.store import Store


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def oidc_actor(store: Store) -> Actor | None:
    """The pilot user mapped from the signed-in OIDC identity, if there is one."""
    if not oidc_configured():
        return None
    user = st.user
    if not getattr(user, "is_logged_in", False):
        return None
    email = user.get("email")
    return actor_for_email(store, str(email)) if email else None
