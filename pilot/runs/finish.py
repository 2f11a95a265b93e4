"""Finishing a run: decide `correct` for every result by the bar's match rule, judge the run
against its bar, store the summary and audit it with a digest of every result row.

The scores come from `pilot.runs.scoring` (polars and `metrics`), or, for a run whose scoring
inputs hash the same as an intact run already scored, from that run (`pilot.runs.score_memo`;
the audited `run.finish` event names it as `scores_from`)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor
from pilot.core.store import Store
from pilot.runs.integrity import require_sound, results_digest, summary_digest
from pilot.runs.run_bar import bar_for_run, rule_of
from pilot.runs.score_memo import reuse, score_key


def finish_run(store: Store, actor: Actor, run_id: str) -> dict[str, Any]:
    def body(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        version = bar_for_run(con, run_id)
        gs = con.execute("SELECT goldenset_version FROM runs WHERE run_id = ?", [run_id]).fetchone()
        goldenset = gs[0] if gs else None
        require_sound(con, bar=None if version is None else version.version, goldenset=goldenset)
        rule = rule_of(version)
        key = score_key(con, run_id, goldenset, version, rule)
        reused = reuse(con, run_id, key) if key else None
        if reused is None:
            from pilot.runs.scoring import score_and_summarise

            source, summary = None, score_and_summarise(con, run_id, version, rule)
        else:
            source, summary = reused
        digest = results_digest(con, run_id)
        stored = json.dumps(summary)
        # Too many infrastructure errors to judge: kept open for `pilot run --resume`, which
        # calls the errored cases again.
        status = "inconclusive" if summary["verdict"].get("inconclusive") else "finished"
        con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE run_id = ?",
            [status, audit.utc_now(), stored, run_id],
        )
        audit.record_as(
            con,
            actor,
            "run.finish",
            f"run:{run_id}",
            {
                "results_digest": digest,
                "summary_digest": summary_digest(stored),
                "status": status,
                "errors": summary["verdict"].get("errors", 0),
                "passed": summary["verdict"]["passed"],
                "exploratory": summary["verdict"]["exploratory"],
                "accuracy": summary["metrics"]["accuracy"],
                **({"score_key": key} if key else {}),
                **({"scores_from": source} if source else {}),
            },
        )
        return summary

    return store.write(body)
