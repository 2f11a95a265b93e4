"""The response cache: a system's output keyed by its config and the exact request content, so a
re-run (or a replay) answers a case it has seen without calling the system."""

from __future__ import annotations

from typing import Any

import duckdb

from pilot.core.models import SystemConfig, content_hash


def cache_key(config: SystemConfig, payload: dict[str, Any]) -> str:
    """System config (kind, model, parameters, prompt) plus the exact request content."""
    return content_hash({"config": config.model_dump(mode="json"), "request": payload})


def load_cache(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, str]:
    """The cached outputs (JSON) for `keys` that have one."""
    if not keys:
        return {}
    import polars as pl

    wanted = pl.DataFrame({"key": keys})  # noqa: F841 (read by DuckDB's replacement scan)
    rows = con.execute(
        "SELECT c.key, c.output FROM response_cache c JOIN wanted w ON c.key = w.key"
    ).fetchall()
    return dict(rows)
