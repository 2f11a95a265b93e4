"""Runs as the CLI and the Runs page see them: start or resume, report, list, progress."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from pilot.core.access import Who, require
from pilot.core.errors import InputError
from pilot.core.models import RetrievalSettings, SystemConfig
from pilot.core.store import Store, table_exists
from pilot.define import bar_versions as bars
from pilot.goldensets import stored
from pilot.runs.context import ProgressFn, RunOptions, RunOutcome
from pilot.runs.execute import execute_run
from pilot.runs.preload import preload
from pilot.runs.register import create_run
from pilot.runs.run import RunStatus, parse_summary
from pilot.runs.systems.base import PermanentError, System
from pilot.runs.systems.connection import Connection
from pilot.runs.systems.registry import make_system


def latest_bar(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest signed bar version, else the newest draft (runs against it are exploratory)."""
    if not table_exists(con, "bar_versions"):
        return None
    found = bars.latest_signed_bar(con) or bars.latest_bar(con)
    return found.version if found else None


def resolve_goldenset(con: duckdb.DuckDBPyConnection, name: str | None, version: str | None) -> str:
    if version:
        found = stored.versions_matching(con, version)
        if len(found) != 1:
            raise InputError(
                f"--version {version!r}: no single golden set version matches",
                app=f"No single golden set version matches {version!r}.",
            )
        return found[0]
    if not name:
        raise InputError(
            "--goldenset NAME (or --version ID) is required", app="Choose a golden set first."
        )
    newest = stored.newest_version_of(con, name)
    if newest is None:
        raise InputError(
            f"--goldenset {name!r}: no golden set of that name; "
            "import one with `pilot goldenset import FILE --name NAME`",
            app=f"There is no golden set named {name!r}: import one on the Golden set page.",
        )
    return newest


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
    if options.batch:  # refused before anything is recorded
        from pilot.runs.batch import refuse_unbatchable

        refuse_unbatchable(config)
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
    connection: Connection | None = None,
    label: str = "",
) -> RunOutcome:
    if resume_id:
        return execute_run(store, user, resume_id, on_progress=on_progress, connection=connection)
    system = None
    if config is not None and not options.cache_only:
        system = _make_system(config, connection)
        if not options.use_cache:  # every case is called: import the SDK beside the bookkeeping
            preload(*getattr(system, "SDK_MODULES", ()))
    # The checks, the new run and the bookkeeping before its calls share one open database:
    # `execute_run` takes this hold over (and releases it before any call).
    held = store.held()
    held.__enter__()
    try:
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
    except BaseException:
        held.__exit__(None, None, None)
        raise
    return execute_run(
        store,
        user,
        run_id,
        options=options,
        system=system,
        on_progress=on_progress,
        connection=connection,
        held=held,
    )


def _make_system(config: SystemConfig, connection: Connection | None) -> System:
    """The system, built once and before any record is written, so one that cannot be made
    (no API key, a bad callable target) fails the command with nothing on record."""
    try:
        return make_system(config, connection)
    except PermanentError as exc:
        raise InputError(str(exc)) from None


def list_runs(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first; `status` is a `RunStatus`, `summary` a `RunSummary` (None until finished)."""
    rows = con.execute(
        """
        WITH shown AS (SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT ?),
        progress AS (  -- one pass over the shown runs' results, not three per run
            SELECT run_id, count(*) AS done, count(error) AS errors, max(finished_at) AS last
            FROM results WHERE run_id IN (SELECT run_id FROM shown) GROUP BY run_id
        )
        SELECT r.run_id, r.status, r.goldenset_version, r.config_version,
               c.label || ' (' || substr(r.config_version, 1, 8) || ')', r.bar_version,
               r.n_cases, r.started_at, r.finished_at, r.started_by, r.replay_of, r.summary,
               coalesce(p.done, 0), coalesce(p.errors, 0), p.last
        FROM shown r LEFT JOIN system_configs c ON c.version = r.config_version
        LEFT JOIN progress p ON p.run_id = r.run_id
        ORDER BY r.started_at DESC, r.run_id DESC
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
        item["status"] = RunStatus(item["status"])
        item["summary"] = parse_summary(item["summary"])
        item["stalled"] = (
            item["status"] is RunStatus.RUNNING and _idle_seconds(item, now) > STALL_SECONDS
        )
        runs.append(item)
    return runs


STALL_SECONDS = 120


def _idle_seconds(run: dict[str, Any], now: datetime) -> float:
    last = run["last_result_at"] or run["started_at"]
    return (
        now - datetime.strptime(last, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    ).total_seconds()


def resumable(run: dict[str, Any]) -> bool:
    """Halted, failed, inconclusive (its errored cases are called again), or running with no
    result for two minutes (its process has likely stopped; a resume calls only the cases
    without a result, and a live owner's lease refuses a second execution)."""
    return RunStatus(run["status"]).resumable or bool(run.get("stalled"))


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
