"""What the Runs page marks beside each run: the run of record, a config rolled back, the
config in production. From `stage_changes` (owned here) and the runs' own configs."""

from __future__ import annotations

import duckdb

from pilot.readiness.record import record_to_show
from pilot.readiness.stages import STAGES, active_config, current_stage, history
from pilot.runs.lookup import runs_by_config


def config_marks(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Per system config version, what happened to it in production, oldest first: "rolled
    back on DAY by WHO" for the config a rollback replaced, "restored by rollback on DAY" for
    the one it put back, and "in production at stage N" for the active one."""
    marks: dict[str, list[str]] = {}
    changes = history(con)
    for before, change in zip([None, *changes], changes, strict=False):
        if change.kind != "rollback":
            continue
        day = change.at[:10]
        if before is not None and before.config_version and before.to_stage > 0:
            marks.setdefault(before.config_version, []).append(
                f"rolled back on {day} by {change.by}"
            )
        if change.config_version:
            marks.setdefault(change.config_version, []).append(f"restored by rollback on {day}")
    stage = current_stage(con)
    config = active_config(con)
    if stage > 0 and config:
        marks.setdefault(config, []).append(f"in production at stage {stage} ({STAGES[stage]})")
    return marks


def run_marks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per run id, its marks in one line ("" for none): the run of record, then its config's."""
    by_config = config_marks(con)
    marks: dict[str, list[str]] = {}
    for config, run_ids in runs_by_config(con).items():
        for run_id in run_ids:
            if config in by_config:
                marks[run_id] = [f"config {m}" for m in by_config[config]]
    record = record_to_show(con)
    if record is not None:
        marks[record.run_id] = ["run of record", *marks.get(record.run_id, [])]
    return {run_id: "; ".join(found) for run_id, found in marks.items()}
