"""What `pilot run --json` prints for a finished run, with its regression against a baseline."""

from __future__ import annotations

import json
from typing import Any

from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.results.comparison import compare


def run_report(store: Store, run_id: str, *, baseline: str | None = None) -> dict[str, Any]:
    """What `pilot run --json` prints: run id, manifest, metrics, verdict, regression, exit."""
    with store.read() as con:
        row = con.execute(
            "SELECT status, manifest, summary FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        if not row:
            raise InputError(f"no run {run_id!r}")
        status, manifest, summary = row
        summary = json.loads(summary) if summary else {"metrics": {}, "verdict": {}}
        regression = None
        if baseline:
            comparison = compare(con, baseline, run_id)
            regression = {
                "baseline": baseline,
                **comparison.to_dict(),
                "significantly_worse": comparison.significantly_worse(),
            }
    verdict = summary["verdict"]
    ok = bool(verdict.get("passed")) and not verdict.get("exploratory", True)
    if regression and regression["significantly_worse"]:
        ok = False
    return {
        "run_id": run_id,
        "status": status,
        "manifest": json.loads(manifest),
        "metrics": summary["metrics"],
        "verdict": verdict,
        "models_returned": summary.get("models_returned", []),
        "regression": regression,
        "exit_code": 0 if ok else 1,
    }
