"""`GET /api/v1/guard` on the real app server (st.App + uvicorn), with a personal token."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from helpers import seeded_store, token_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_support import start_server, stop_server  # noqa: E402

from pilot.core import killswitch  # noqa: E402
from pilot.readiness.api import get_guard  # noqa: E402


def get(url: str, token: str | None) -> tuple[int, dict]:
    request = urllib.request.Request(url, method="GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_get_guard_rules(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "pilot.duckdb")
    viewer = token_for(store.path, "dana")
    assert get_guard(store, None, "a", None)[0] == 401
    assert get_guard(store, "Bearer pk_nope", "a", None)[0] == 401
    assert get_guard(store, f"Bearer {viewer}", "", None)[0] == 400
    assert get_guard(store, f"Bearer {viewer}", "a", "maybe")[0] == 400
    status, body = get_guard(store, f"Bearer {viewer}", "send", "true")
    assert status == 200 and body["stage"] == 0 and body["action"] == "send"
    assert not body["proceed_alone"] and not body["halted"]


def test_guard_route_on_the_app_server(tmp_path: Path) -> None:
    db = tmp_path / "pilot.duckdb"
    store = seeded_store(db)
    token = token_for(db, "dana")
    server = start_server(db, tmp_path / "server.log")
    try:
        url = f"{server.url}/api/v1/guard?action=send_reply&consequential=false"
        assert get(url, None)[0] == 401
        status, body = get(url, token)
        assert status == 200 and body["stage"] == 0 and body["allowed"] is False
        killswitch.engage(store, "priya", "drill")
        status, body = get(url, token)
        assert status == 423 and body["halted"] is True
        killswitch.release(store, "priya")
        assert get(url, token)[0] == 200
    finally:
        stop_server(server)
