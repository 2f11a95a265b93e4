"""`POST /api/v1/outputs` on the real app server (st.App + uvicorn), with a personal token."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from helpers import seeded_store, token_for
from review_data import output

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_support import start_server, stop_server  # noqa: E402

from pilot.core.store import Store  # noqa: E402


def post(url: str, body: bytes, token: str | None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_post_outputs_with_a_token(tmp_path: Path) -> None:
    db = tmp_path / "pilot.duckdb"
    seeded_store(db)
    lead, viewer = token_for(db, "priya"), token_for(db, "dana")
    server = start_server(db, tmp_path / "server.log")
    try:
        url = f"{server.url}/api/v1/outputs"
        records = json.dumps([output(1), output(2)]).encode()
        assert post(url, records, None)[0] == 401
        assert post(url, records, "pk_nope_nope")[0] == 401
        assert post(url, records, viewer)[0] == 403
        status, data = post(url, records, lead)
        assert (status, data["inserted"]) == (200, 2), data
        status, data = post(url, records, lead)
        assert (status, data["inserted"], data["already_ingested"]) == (200, 0, 2)
        bad = (json.dumps(output(3)) + "\n" + json.dumps(output(4, stage=7))).encode()
        status, data = post(url, bad, lead)
        assert status == 400 and [(e["line"], e["field"]) for e in data["errors"]] == [(2, "stage")]
        with urllib.request.urlopen(server.url, timeout=30) as page:  # the pages still serve
            assert page.status == 200
    finally:
        stop_server(server)
    with Store(db).read() as con:
        rows = con.execute("SELECT id, source_file LIKE 'api:priya:%' FROM live_outputs").fetchall()
    assert sorted(rows) == [("out-0001", True), ("out-0002", True)]
