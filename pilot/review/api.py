"""`POST /api/v1/outputs`: live outputs from systems in other languages, token-authenticated.

The body is one JSON object, a JSON array of objects, or JSON lines, with the fields of
`pilot.record_output`. It goes through the same ingest as a spool file (idempotent by id,
atomic, every problem named with its line and field), as the token's user, who must be a lead.
Returns (HTTP status, JSON body); the web layer (app/server.py) only translates.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from pilot.core import audit
from pilot.core.errors import PermissionDenied, PilotError
from pilot.core.store import Store
from pilot.core.tokens import authenticate_token
from pilot.review import ingest

MAX_BODY = 20 * 1024 * 1024


def bearer(header: str | None) -> str | None:
    if not header or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None


def post_outputs(
    store: Store, authorization: str | None, body: bytes
) -> tuple[int, dict[str, Any]]:
    try:
        actor = authenticate_token(store, bearer(authorization))
    except PermissionDenied as exc:
        return 401, {"ok": False, "error": str(exc)}
    if not actor.can("edit_pilot"):
        return 403, {"ok": False, "error": f"{actor.name} ({actor.role}) may not record outputs"}
    if len(body) > MAX_BODY:
        return 413, {"ok": False, "error": f"body over {MAX_BODY} bytes: send it in parts"}
    text = body.decode("utf-8", errors="replace").strip()
    if text.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            return 400, {"ok": False, "error": f"body: not valid JSON: {exc}"}
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    if not text:
        return 400, {"ok": False, "error": "body: empty; send one output or a list of them"}
    label = f"api:{actor.name}:{audit.utc_now()}"
    with tempfile.TemporaryDirectory(prefix="pilot-api-") as tmp:
        path = Path(tmp) / "posted.jsonl"
        path.write_text(text + "\n", encoding="utf-8")
        try:
            result = ingest.ingest_file(store, actor, path, label=label)
        except PilotError as exc:
            return 400, {"ok": False, "error": str(exc)}
    status = 200 if result.ok else 400
    return status, result.as_dict()
