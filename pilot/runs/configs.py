"""System configs, versioned by content hash: any prompt, model or retrieval change is new."""

from __future__ import annotations

import json

import duckdb

from pilot.core import audit
from pilot.core.access import Actor
from pilot.core.models import SystemConfig
from pilot.goldensets.stored import newest_per_set

OFFLINE_DEFAULT = SystemConfig()


def register_config(
    con: duckdb.DuckDBPyConnection, actor: Actor, config: SystemConfig, label: str = ""
) -> str:
    """Store the config if it is new (inside the caller's transaction); return its version."""
    version = config.version
    if not con.execute("SELECT 1 FROM system_configs WHERE version = ?", [version]).fetchone():
        con.execute(
            "INSERT INTO system_configs VALUES (?, ?, ?, ?, ?)",
            [
                version,
                label or f"{config.kind}:{config.model}",
                config.model_dump_json(),
                audit.utc_now(),
                actor.name,
            ],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "config.register",
            f"config:{version}",
            {"config": json.loads(config.model_dump_json()), "label": label},
        )
    return version


def load_config(con: duckdb.DuckDBPyConnection, version: str) -> SystemConfig:
    row = con.execute("SELECT config FROM system_configs WHERE version = ?", [version]).fetchone()
    if not row:
        raise KeyError(version)
    return SystemConfig.model_validate_json(row[0])


def list_configs(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    rows = con.execute(
        "SELECT version, label, config, created_at, created_by FROM system_configs "
        "ORDER BY created_at DESC"
    ).fetchall()
    return [
        {
            "version": r[0],
            "label": r[1],
            "config": json.loads(r[2]),
            "created_at": r[3],
            "created_by": r[4],
        }
        for r in rows
    ]


def newest_config(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "SELECT version FROM system_configs ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def stale_goldensets(con: duckdb.DuckDBPyConnection, config_version: str) -> list[str]:
    """Golden set versions (latest of each name) not run, nor running, on `config_version`."""
    covered = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT goldenset_version FROM runs WHERE config_version = ? "
            "AND status IN ('finished', 'running')",
            [config_version],
        ).fetchall()
    }
    return sorted(
        f"{name} {version[:12]}" for name, version in newest_per_set(con) if version not in covered
    )
