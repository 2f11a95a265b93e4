"""`GET /api/v1/guard?action=...&consequential=true`: `pilot.guard` for systems in other
languages, token-authenticated (any role that may read). 200 with the decision; 423 while the
kill switch is on; 401 without a valid token; 400 without an action."""

from __future__ import annotations

from typing import Any

from pilot.core.errors import Halted, PermissionDenied
from pilot.core.store import Store
from pilot.core.tokens import authenticate_token
from pilot.readiness.guard import guard
from pilot.review.api import bearer

TRUE = {"1", "true", "yes"}
FALSE = {"", "0", "false", "no"}


def get_guard(
    store: Store, authorization: str | None, action: str | None, consequential: str | None
) -> tuple[int, dict[str, Any]]:
    try:
        actor = authenticate_token(store, bearer(authorization))
    except PermissionDenied as exc:
        return 401, {"ok": False, "error": str(exc)}
    if not actor.can("read"):
        return 403, {"ok": False, "error": f"{actor.name} ({actor.role}) may not ask the guard"}
    if not action or not action.strip():
        return 400, {"ok": False, "error": "action: required, e.g. ?action=send_reply"}
    flag = (consequential or "").strip().lower()
    if flag not in TRUE | FALSE:
        return 400, {"ok": False, "error": "consequential: use true or false"}
    try:
        decision = guard(action.strip(), consequential=flag in TRUE, db=store.path)
    except Halted as exc:
        return 423, {"ok": False, "halted": True, "error": str(exc)}
    return 200, {"ok": True, "halted": False, **decision.as_dict()}
