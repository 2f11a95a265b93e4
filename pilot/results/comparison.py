"""Run versus run on the same golden set version: flips, McNemar, metric deltas."""

from __future__ import annotations

import duckdb

from metrics.regression import RunComparison, compare_runs
from pilot.core.errors import InputError
from pilot.runs.record import goldenset_versions_of, run_frames


def compare(con: duckdb.DuckDBPyConnection, base_run: str, new_run: str) -> RunComparison:
    versions = goldenset_versions_of(con, [base_run, new_run])
    for run in (base_run, new_run):
        if run not in versions:
            raise InputError(f"--baseline: no run {run!r}")
    if versions[base_run] != versions[new_run]:
        raise InputError(
            f"--baseline: {base_run} ran golden set version {versions[base_run][:12]} but "
            f"{new_run} ran {versions[new_run][:12]}; compare runs on the same version"
        )
    return compare_runs(run_frames(con, base_run).results, run_frames(con, new_run).results)
