"""What `pilot run --json` prints for a finished run, with its regression against a baseline."""

from __future__ import annotations

from typing import Any

from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.runs.run import EMPTY_SUMMARY, RunRecord, load_run


def run_report(
    store: Store, run_id: str, *, baseline: str | None = None, record: RunRecord | None = None
) -> dict[str, Any]:
    """What `pilot run --json` prints: run id, manifest, metrics, verdict, regression, exit.
    `record`: the run as its execution last read it (the database is then opened only for a
    `baseline`)."""
    run = record if record is not None and record.run_id == run_id else None
    regression = None
    if run is None or baseline:
        with store.read() as con:
            run = run or load_run(con, run_id)
            if run is None:
                raise InputError(f"no run {run_id!r}")
            if baseline:
                from pilot.results.comparison import compare  # polars, metrics: a CI gate only

                comparison = compare(con, baseline, run_id)
                regression = {
                    "baseline": baseline,
                    **comparison.to_dict(),
                    "significantly_worse": comparison.significantly_worse(),
                }
    summary = run.summary or EMPTY_SUMMARY
    ok = summary.bar_met and not (regression and regression["significantly_worse"])
    return {
        "run_id": run_id,
        "status": run.status.value,
        "manifest": run.manifest.model_dump(mode="json"),
        "metrics": summary.metrics,
        "verdict": summary.verdict,
        "models_returned": summary.models_returned,
        "regression": regression,
        "exit_code": 5 if summary.verdict.get("inconclusive") else 0 if ok else 1,
    }
