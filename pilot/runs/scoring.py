"""Finishing a run: decide `correct` for every result by the bar's match rule, judge the run
against its bar, store the summary and audit it with a digest of every result row."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl

from metrics import apply_match
from metrics.frames import RunFrames
from pilot.core import audit
from pilot.core.access import Actor
from pilot.core.store import Store
from pilot.define.bar_versions import BarVersion, bar_version
from pilot.define.bars import MatchRule
from pilot.define.verdicts import Verdict, frames_metrics, judge
from pilot.runs.integrity import require_sound, results_digest, summary_digest
from pilot.runs.record import frames_of, joined_rows, result_rows

DEFAULT_RULE = MatchRule()


def bar_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> BarVersion | None:
    """The bar version the run is judged against (typed, signed or not), or None: no bar."""
    row = con.execute("SELECT bar_version FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if not row or row[0] is None:
        return None
    return bar_version(con, row[0])


def match_rule_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> MatchRule:
    """The match rule that scores the run: its bar's, else the default (contains)."""
    version = bar_for_run(con, run_id)
    return DEFAULT_RULE if version is None else version.bar.match_rule


def score(con: duckdb.DuckDBPyConnection, run_id: str, rule: MatchRule) -> None:
    """Write `correct` and `match_rule` for every result of the run, vectorised."""
    score_rows(con, run_id, result_rows(con, run_id), rule)


def score_rows(
    con: duckdb.DuckDBPyConnection, run_id: str, rows: pl.DataFrame, rule: MatchRule
) -> pl.DataFrame:
    """`score` on the run's rows already read: writes `correct` and `match_rule`, and returns
    the rows with the same two columns set, so the summary needs no second read."""
    if rows.is_empty():
        return rows
    judged = None
    if rule.rule == "judge":
        verdicts = dict(
            con.execute(
                "SELECT case_id, correct FROM judgements WHERE run_id = ?", [run_id]
            ).fetchall()
        )
        judged = pl.Series([verdicts.get(c) for c in rows["case_id"]], dtype=pl.Boolean)
    correct = apply_match(rows, rule.rule, rule.threshold, rule.tolerance, judged)
    scored = pl.DataFrame({"case_id": rows["case_id"], "correct": correct})  # noqa: F841
    label = rule.label()
    con.execute(
        "UPDATE results SET correct = s.correct, match_rule = ? FROM scored s "
        "WHERE results.run_id = ? AND results.case_id = s.case_id",
        [label, run_id],
    )
    return rows.with_columns(
        correct=pl.Series(correct, dtype=rows.schema["correct"]),
        match_rule=pl.lit(label, dtype=rows.schema["match_rule"]),
    )


def summarise(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    rows, cases = joined_rows(con, run_id)
    return summarise_frames(con, run_id, frames_of(rows, cases), rows)


def summarise_frames(
    con: duckdb.DuckDBPyConnection, run_id: str, frames: RunFrames, rows: pl.DataFrame
) -> dict[str, Any]:
    estimates = frames_metrics(frames)
    metrics = {name: e.to_dict() for name, e in estimates.items()}
    verdict: Verdict = judge(frames, bar_for_run(con, run_id), estimates)
    models = sorted({m for m in rows["model"].to_list() if m is not None})
    return {"metrics": metrics, "verdict": verdict.to_dict(), "models_returned": models}


def finish_run(store: Store, actor: Actor, run_id: str) -> dict[str, Any]:
    def body(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        version = bar_for_run(con, run_id)
        gs = con.execute("SELECT goldenset_version FROM runs WHERE run_id = ?", [run_id]).fetchone()
        require_sound(
            con, bar=None if version is None else version.version, goldenset=gs[0] if gs else None
        )
        rows, cases = joined_rows(con, run_id)  # read once: scored, then summarised
        rule = DEFAULT_RULE if version is None else version.bar.match_rule
        rows = score_rows(con, run_id, rows, rule)
        summary = summarise_frames(con, run_id, frames_of(rows, cases), rows)
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
            },
        )
        return summary

    return store.write(body)


def explain(row: dict[str, Any]) -> str:
    """Why a result counts as correct or not, in a sentence a stakeholder can read."""
    rule = row.get("match_rule") or "contains"
    if row.get("error"):
        return f"Incorrect: the system failed ({row['error']}); errors count as incorrect."
    if not row.get("answerable"):
        if row.get("abstained"):
            return "Correct: the documents do not answer this and the system abstained."
        return "Incorrect: the documents do not answer this, but the system answered anyway."
    if row.get("abstained"):
        return "Incorrect: the documents answer this, but the system abstained."
    expected = row.get("expected_answer")
    if row.get("correct"):
        return f"Correct: the answer matches the expected answer {expected!r} ({rule} rule)."
    return f"Incorrect: the answer does not match the expected answer {expected!r} ({rule} rule)."
