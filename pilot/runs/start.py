"""Runs as the CLI and the Runs page see them: start or resume, report, list, progress."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from pilot.core.access import Who, require
from pilot.core.errors import InputError
from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.core.store import Store
from pilot.runs.execute import ProgressFn, RunOptions, RunOutcome, create_run, execute_run


def latest_bar(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest signed bar version, else the newest draft (runs against it are exploratory)."""
    try:
        row = con.execute(
            "SELECT version FROM bar_versions ORDER BY (signed_by IS NOT NULL) DESC, version DESC "
            "LIMIT 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def resolve_goldenset(con: duckdb.DuckDBPyConnection, name: str | None, version: str | None) -> str:
    if version:
        row = con.execute(
            "SELECT version FROM goldenset_versions WHERE version = ? OR version LIKE ? "
            "ORDER BY version LIMIT 2",
            [version, version + "%"],
        ).fetchall()
        if len(row) != 1:
            raise InputError(f"--version {version!r}: no single golden set version matches")
        return row[0][0]
    if not name:
        raise InputError("--goldenset NAME (or --version ID) is required")
    row = con.execute(
        "SELECT version FROM goldenset_versions WHERE name = ? ORDER BY created_at DESC LIMIT 1",
        [name],
    ).fetchone()
    if not row:
        raise InputError(
            f"--goldenset {name!r}: no golden set of that name; "
            "import one with `pilot goldenset import FILE --name NAME`"
        )
    return row[0]


def prepare_run(
    store: Store,
    user: Who,
    *,
    goldenset: str | None = None,
    version: str | None = None,
    config: SystemConfig | None = None,
    options: RunOptions = RunOptions(),
    replay_id: str | None = None,
    label: str = "",
) -> str:
    """Check permission and the kill switch, resolve versions and register the run."""
    from pilot.core import killswitch
    from pilot.runs.configs import load_config
    from pilot.runs.integrity import require_sound

    with store.read() as con:
        require(con, user, "run")
        killswitch.check(con)
        if replay_id:
            row = con.execute(
                "SELECT goldenset_version, config_version, bar_version FROM runs WHERE run_id = ?",
                [replay_id],
            ).fetchone()
            if not row:
                raise InputError(f"--replay: no run {replay_id!r}")
            gs_version, config, bar = row[0], load_config(con, row[1]), row[2]
        else:
            gs_version = resolve_goldenset(con, goldenset, version)
            bar = latest_bar(con)
        require_sound(con, bar=bar, goldenset=gs_version)
    if config is None:
        raise InputError("no system config given")
    return create_run(
        store,
        user,
        gs_version,
        config,
        options=options,
        bar_version=bar,
        replay_of=replay_id,
        label=label,
    )


def start_or_resume(
    store: Store,
    user: Who,
    *,
    goldenset: str | None = None,
    version: str | None = None,
    config: SystemConfig | None = None,
    options: RunOptions = RunOptions(),
    resume_id: str | None = None,
    replay_id: str | None = None,
    on_progress: ProgressFn | None = None,
    system_kwargs: dict[str, Any] | None = None,
    label: str = "",
) -> RunOutcome:
    if resume_id:
        return execute_run(
            store, user, resume_id, on_progress=on_progress, system_kwargs=system_kwargs
        )
    if config is not None and not options.cache_only:
        _check_system(config, system_kwargs)
    run_id = prepare_run(
        store,
        user,
        goldenset=goldenset,
        version=version,
        config=config,
        options=options,
        replay_id=replay_id,
        label=label,
    )
    return execute_run(
        store, user, run_id, options=options, on_progress=on_progress, system_kwargs=system_kwargs
    )


def _check_system(config: SystemConfig, system_kwargs: dict[str, Any] | None) -> None:
    """Fail before any record is written when the system cannot be made (no API key, a bad
    callable target)."""
    from pilot.runs.systems.base import PermanentError
    from pilot.runs.systems.registry import make_system

    try:
        make_system(config, **(system_kwargs or {}))
    except PermanentError as exc:
        raise InputError(str(exc)) from None


def list_runs(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict[str, Any]]:
    rows = con.execute(
        """
        SELECT r.run_id, r.status, r.goldenset_version, r.config_version,
               c.label || ' (' || substr(r.config_version, 1, 8) || ')', r.bar_version,
               r.n_cases, r.started_at, r.finished_at, r.started_by, r.replay_of, r.summary,
               (SELECT count(*) FROM results x WHERE x.run_id = r.run_id) AS done,
               (SELECT count(*) FROM results x WHERE x.run_id = r.run_id AND x.error IS NOT NULL),
               (SELECT max(x.finished_at) FROM results x WHERE x.run_id = r.run_id)
        FROM runs r LEFT JOIN system_configs c ON c.version = r.config_version
        ORDER BY r.started_at DESC LIMIT ?
        """,
        [limit],
    ).fetchall()
    keys = (
        "run_id",
        "status",
        "goldenset_version",
        "config_version",
        "system",
        "bar_version",
        "n_cases",
        "started_at",
        "finished_at",
        "started_by",
        "replay_of",
        "summary",
        "done",
        "errors",
        "last_result_at",
    )
    runs = []
    now = datetime.now(UTC)
    for r in rows:
        item = dict(zip(keys, r, strict=True))
        item["summary"] = json.loads(item["summary"]) if item["summary"] else None
        item["stalled"] = item["status"] == "running" and _idle_seconds(item, now) > STALL_SECONDS
        runs.append(item)
    return runs


STALL_SECONDS = 120


def _idle_seconds(run: dict[str, Any], now: datetime) -> float:
    last = run["last_result_at"] or run["started_at"]
    return (
        now - datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    ).total_seconds()


def resumable(run: dict[str, Any]) -> bool:
    """Halted, failed, or running with no result for two minutes (its process has likely
    stopped; a resume calls only the cases without a result, so resuming is always safe)."""
    return run["status"] in ("halted", "failed") or bool(run.get("stalled"))


DEMO_CONFIGS = (
    (
        "offline baseline, best sentence only",
        SystemConfig(retrieval=RetrievalSettings(top_k=1, min_score=1.0)),
    ),
    ("offline, top-3 sentences", SystemConfig(retrieval=RetrievalSettings(top_k=3, min_score=1.0))),
)


def seed_demo_runs(store: Store, user: str, goldenset: str = "benefits") -> list[str]:
    """Two offline runs of the demo golden set (a retrieval change), unless runs exist."""
    with store.read() as con:
        if con.execute("SELECT count(*) FROM runs").fetchone()[0]:
            return []
    run_ids = []
    for label, config in DEMO_CONFIGS:
        outcome = start_or_resume(
            store,
            user,
            goldenset=goldenset,
            config=config,
            options=RunOptions(concurrency=8),
            label=label,
        )
        run_ids.append(outcome.run_id)
    return run_ids
