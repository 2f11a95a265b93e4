"""The run of record: the one run a verdict, Home, Readiness and the report speak for.

A lead pins one per golden-set version and bar version (`pin_run`, audited). Until one is pinned
for the current versions, the run of record is the newest finished run on them. The current
versions are the newest signed bar and the newest version of the golden set last run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store, table_exists
from pilot.define.bar_versions import bar_version, latest_signed_bar
from pilot.define.criteria import criterion_name
from pilot.goldensets.stored import newest_version_of, version_info
from pilot.runs.lookup import newest_finished, run_brief


@dataclass(frozen=True)
class RunOfRecord:
    run_id: str
    goldenset_version: str
    bar_version: int
    config_version: str
    pinned: bool
    pinned_by: str | None
    finished_at: str | None
    passed: bool
    failing: list[str] = field(default_factory=list)  # "accuracy on all", "min_cases", ...
    n_criteria: int = 0
    n_criteria_passed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_versions(con: duckdb.DuckDBPyConnection) -> tuple[str | None, int | None]:
    """(golden-set version, signed bar version) runs of record are chosen on."""
    bar = latest_signed_bar(con) if table_exists(con, "bar_versions") else None
    bar_v = bar.version if bar else None
    newest = newest_finished(con) if table_exists(con, "runs") else None
    brief = run_brief(con, newest) if newest else None
    info = version_info(con, brief.goldenset_version) if brief else None
    if info is None:
        return None, bar_v
    return newest_version_of(con, info.name), bar_v


def failing_criteria(summary: dict[str, Any]) -> list[str]:
    verdict = summary.get("verdict", {})
    failing = [
        criterion_name(c["metric"], c["scope"])
        for c in verdict.get("criteria", [])
        if not c["passed"]
    ]
    if not verdict.get("min_cases_met", True):
        failing.append("minimum number of cases")
    limit = verdict.get("max_critical_errors")
    if limit is not None and len(verdict.get("critical_errors", [])) > limit:
        failing.append("critical errors")
    return failing


def _describe(con: duckdb.DuckDBPyConnection, run_id: str, pinned_by: str | None) -> RunOfRecord:
    brief = run_brief(con, run_id)
    if brief is None:
        raise InputError(f"RUN_ID {run_id!r}: no such run")
    verdict = brief.summary.get("verdict", {})
    return RunOfRecord(
        run_id=run_id,
        goldenset_version=brief.goldenset_version,
        bar_version=brief.bar_version or 0,
        config_version=brief.config_version,
        pinned=pinned_by is not None,
        pinned_by=pinned_by,
        finished_at=brief.finished_at,
        passed=bool(verdict.get("passed")) and not verdict.get("exploratory", True),
        failing=failing_criteria(brief.summary),
        n_criteria=len(verdict.get("criteria", [])),
        n_criteria_passed=sum(1 for c in verdict.get("criteria", []) if c["passed"]),
    )


def run_of_record(
    con: duckdb.DuckDBPyConnection,
    config_version: str | None = None,
    versions: tuple[str | None, int | None] | None = None,
) -> RunOfRecord | None:
    """The pinned run for the current versions (`versions`, when the caller has read them),
    else the newest finished run on them (on `config_version` only, when given); None when
    there is no such run."""
    gs, bar = versions or current_versions(con)
    if gs is None or bar is None:
        return None
    if table_exists(con, "run_of_record"):
        pinned = con.execute(
            "SELECT run_id, pinned_by FROM run_of_record "
            "WHERE goldenset_version = ? AND bar_version = ?",
            [gs, bar],
        ).fetchone()
        brief = run_brief(con, pinned[0]) if pinned else None
        if brief and (config_version is None or brief.config_version == config_version):
            return _describe(con, pinned[0], pinned[1])
    newest = newest_finished(
        con, goldenset_version=gs, bar_version=bar, config_version=config_version
    )
    return _describe(con, newest, None) if newest else None


def record_to_show(con: duckdb.DuckDBPyConnection) -> RunOfRecord | None:
    """The run Home and Results open on: a lead's pin for the current versions whatever its
    config, else the active config's newest finished run on them, else any config's."""
    from pilot.readiness.stages import active_config

    versions = current_versions(con)  # read once for both questions
    any_config = run_of_record(con, versions=versions)
    if any_config is not None and any_config.pinned:
        return any_config
    return run_of_record(con, active_config(con), versions) or any_config


def pin_run(store: Store, user: Who, run_id: str) -> RunOfRecord:
    """A lead pins `run_id` as the run of record for its golden-set and bar versions."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> RunOfRecord:
        brief = run_brief(con, run_id)
        if brief is None:
            raise InputError(f"RUN_ID {run_id!r}: no such run")
        status, gs, bar = brief.status, brief.goldenset_version, brief.bar_version
        judged = bar_version(con, bar) if bar is not None else None
        signed_by = judged.signed_by if judged else None
        if status != "finished":
            raise InputError(f"run {run_id} is {status}: only a finished run can be of record")
        if bar is None or signed_by is None:
            raise InputError(f"run {run_id} was judged against no signed bar: it is exploratory")
        previous = con.execute(
            "SELECT run_id FROM run_of_record WHERE goldenset_version = ? AND bar_version = ?",
            [gs, bar],
        ).fetchone()
        now = audit.utc_now()
        con.execute(
            "INSERT OR REPLACE INTO run_of_record VALUES (?, ?, ?, ?, ?)",
            [gs, bar, run_id, actor.name, now],
        )
        audit.record_as(
            con,
            actor,
            "run.pin",
            f"run:{run_id}",
            {
                "goldenset_version": gs,
                "bar_version": bar,
                "replaces": previous[0] if previous else None,
            },
        )
        return _describe(con, run_id, actor.name)

    return write_as(store, user, "sign", "run.pin", f"run:{run_id}", body)
