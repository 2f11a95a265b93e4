"""A run on record: registered (config, manifest, status 'running') before the first call, and
its status changed, each change audited."""

from __future__ import annotations

import uuid
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.goldensets import stored
from pilot.runs.configs import register_config
from pilot.runs.context import Progress, RunOptions
from pilot.runs.manifest import build_manifest
from pilot.runs.run import RunStatus


def create_run(
    store: Store,
    user: Who,
    goldenset_version: str,
    config: SystemConfig,
    *,
    options: RunOptions = RunOptions(),
    bar_version: int | None = None,
    replay_of: str | None = None,
    label: str = "",
) -> str:
    """Register the config and the run (status 'running') with its manifest; audited."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> str:
        case_ids = stored.case_ids(con, goldenset_version)
        if not case_ids:
            raise InputError(f"golden set version {goldenset_version!r} has no cases")
        config_version = register_config(con, actor, config, label)
        run_id = "run-" + uuid.uuid4().hex[:12]
        manifest = build_manifest(con, goldenset_version, config, bar_version, options, case_ids)
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, 'running', ?, ?, NULL, ?, ?, ?, NULL)",
            [
                run_id,
                goldenset_version,
                config_version,
                bar_version,
                len(case_ids),
                audit.utc_now(),
                actor.name,
                replay_of,
                manifest.to_json(),
            ],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "run.start",
            f"run:{run_id}",
            {
                "goldenset_version": goldenset_version,
                "config_version": config_version,
                "bar_version": bar_version,
                "replay_of": replay_of,
                "options": options.resolved(),
            },
        )
        return run_id

    return write_as(store, user, "run", "run.start", f"goldenset:{goldenset_version}", body)


def mark(
    store: Store,
    actor: Actor,
    run_id: str,
    status: RunStatus,
    payload: dict[str, Any],
    action: str | None = None,
    forget: list[str] | None = None,
) -> None:
    """Set the run's status and audit the change (`run.<status>` unless `action` is given).
    `forget` lists errored results to drop in the same transaction, so they are called again
    (their errors stay in the audit payload and the previous run.finish digest)."""

    def body(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE runs SET status = ? WHERE run_id = ?", [status.value, run_id])
        for case_id in forget or []:
            con.execute(
                "DELETE FROM results WHERE run_id = ? AND case_id = ? AND error IS NOT NULL",
                [run_id, case_id],
            )
        audit.record_as(con, actor, action or f"run.{status.value}", f"run:{run_id}", payload)

    store.write(body)


def mark_halted(store: Store, actor: Actor, run_id: str, progress: Progress) -> None:
    mark(store, actor, run_id, RunStatus.HALTED, {"done": progress.done, "total": progress.total})
