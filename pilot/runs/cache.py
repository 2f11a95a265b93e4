"""The response cache: a system's output keyed by its config and the exact request content, so a
re-run (or a replay) answers a case it has seen without calling the system."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import duckdb

from pilot.core.models import SystemConfig, canonical_json, content_hash


def cache_key(config: SystemConfig, payload: dict[str, Any]) -> str:
    """System config (kind, model, parameters, prompt) plus the exact request content."""
    return content_hash({"config": config.model_dump(mode="json"), "request": payload})


def cache_keyer(config: SystemConfig) -> Callable[[dict[str, Any]], str]:
    """`cache_key` for many payloads under one config: the config is encoded once. The key is
    byte for byte the same (`canonical_json` of {"config": ..., "request": ...})."""
    head = '{"config":' + canonical_json(config.model_dump(mode="json")) + ',"request":'

    def key(payload: dict[str, Any]) -> str:
        text = head + canonical_json(payload) + "}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    return key


def stored_keys(con: duckdb.DuckDBPyConnection, keys: list[str]) -> frozenset[str]:
    """Which of `keys` the cache already holds (a run that does not read the cache stores no
    second entry for them: the first is kept, as before)."""
    if not keys:
        return frozenset()
    rows = con.execute(
        "SELECT c.key FROM response_cache c "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS key) w ON c.key = w.key",
        [keys],
    ).fetchall()
    return frozenset(r[0] for r in rows)


def load_cache(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, str]:
    """The cached outputs (JSON) for `keys` that have one."""
    if not keys:
        return {}
    rows = con.execute(
        "SELECT c.key, c.output FROM response_cache c "
        "JOIN (SELECT unnest(?::VARCHAR[]) AS key) w ON c.key = w.key",
        [keys],
    ).fetchall()
    return dict(rows)
