"""What `pilot run --json` prints for a finished run, with its regression against a baseline."""

from __future__ import annotations

from typing import Any

from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.runs.run import EMPTY_SUMMARY, load_run


def run_report(store: Store, run_id: str, *, baseline: str | None = None) -> dict[str, Any]:
    """What `pilot run --json` prints: run id, manifest, metrics, verdict, regression, exit."""
    with store.read() as con:
        run = load_run(con, run_id)
        if run is None:
            raise InputError(f"no run {run_id!r}")
        summary = run.summary or EMPTY_SUMMARY
        regression = None
        if baseline:
            from pilot.results.comparison import compare  # polars and metrics: only for a CI gate

            comparison = compare(con, baseline, run_id)
            regression = {
                "baseline": baseline,
                **comparison.to_dict(),
                "significantly_worse": comparison.significantly_worse(),
            }
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
