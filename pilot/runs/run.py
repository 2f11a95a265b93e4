"""A run as the layers above the runner see it: its status (a closed set), its manifest, its
summary, and the stored record that carries them. Pages, the CLI and `run --json` read these
types instead of re-deriving fields from JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import duckdb

from pilot.core.models import Frozen


class RunStatus(StrEnum):
    """Where a run is. A `StrEnum`, so it is stored and printed as its plain value."""

    RUNNING = "running"
    FINISHED = "finished"
    HALTED = "halted"  # the kill switch stopped it; resumable
    FAILED = "failed"  # the system could not be made; resumable once fixed
    # judged impossible: more cases errored than the bar's max_error_rate (exit 5); resumable,
    # and a resume calls the errored cases again
    INCONCLUSIVE = "inconclusive"

    @property
    def resumable(self) -> bool:
        return self in (RunStatus.HALTED, RunStatus.FAILED, RunStatus.INCONCLUSIVE)


class GoldensetRef(Frozen):
    version: str
    content_hash: str | None
    case_ids: list[str]


class BarRef(Frozen):
    version: int | None
    content_hash: str | None
    exploratory: bool


class SystemRef(Frozen):
    version: str
    config: dict[str, Any]
    model_requested: str | None


class GitState(Frozen):
    commit: str | None
    dirty: bool | None


class RunManifest(Frozen):
    """Everything needed to re-run a run and to trust what it measured."""

    goldenset: GoldensetRef
    bar: BarRef
    system: SystemRef
    settings: dict[str, Any]  # RunOptions as they were resolved
    seed: int
    git: GitState
    packages: dict[str, str | None]
    python: str

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"))


class RunSummary(Frozen):
    """What scoring stored for a finished run: metric estimates, the verdict, models seen."""

    metrics: dict[str, dict[str, Any]]
    verdict: dict[str, Any]
    models_returned: list[str] = []

    @property
    def passed(self) -> bool:
        return bool(self.verdict.get("passed"))

    @property
    def exploratory(self) -> bool:
        return bool(self.verdict.get("exploratory", True))

    @property
    def bar_met(self) -> bool:
        """Passed against a signed bar: an exploratory pass proves nothing yet."""
        return self.passed and not self.exploratory

    def value(self, metric: str) -> float | None:
        """A metric's point estimate, or None when it was not measured."""
        return (self.metrics.get(metric) or {}).get("value")

    def verdict_label(self) -> str:
        if self.verdict.get("inconclusive"):
            return "INCONCLUSIVE"
        if self.exploratory:
            return "exploratory"
        return "PASS" if self.passed else "FAIL"


EMPTY_SUMMARY = RunSummary(metrics={}, verdict={})


@dataclass(frozen=True)
class RunRecord:
    """One row of `runs`, typed."""

    run_id: str
    goldenset_version: str
    config_version: str
    bar_version: int | None
    status: RunStatus
    n_cases: int
    started_at: str
    finished_at: str | None
    started_by: str
    replay_of: str | None
    manifest: RunManifest
    summary: RunSummary | None


_COLUMNS = (
    "run_id, goldenset_version, config_version, bar_version, status, n_cases, started_at, "
    "finished_at, started_by, replay_of, manifest, summary"
)


def parse_summary(raw: str | None) -> RunSummary | None:
    return RunSummary.model_validate_json(raw) if raw else None


def load_run(con: duckdb.DuckDBPyConnection, run_id: str) -> RunRecord | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        return None
    return RunRecord(
        *row[:4],
        RunStatus(row[4]),
        *row[5:10],
        RunManifest.model_validate_json(row[10]),
        parse_summary(row[11]),
    )
