"""Scoring a run: decide `correct` for every result by the bar's match rule and summarise its
metrics and verdict against its bar (`pilot.runs.finish` stores and audits the summary)."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl

from metrics import apply_match
from metrics.frames import RunFrames
from pilot.define.bar_versions import BarVersion
from pilot.define.bars import MatchRule
from pilot.define.verdicts import Verdict, frames_metrics, judge
from pilot.runs.record import frames_of, joined_rows, result_rows
from pilot.runs.run_bar import DEFAULT_RULE, bar_for_run, match_rule_for_run

# the run's bar and rule are read in `run_bar` (no polars); named here as before
__all__ = ["DEFAULT_RULE", "bar_for_run", "explain", "match_rule_for_run", "score", "summarise"]


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
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    frames: RunFrames,
    rows: pl.DataFrame,
    version: BarVersion | None = None,
) -> dict[str, Any]:
    """The summary; `version`: the run's bar version when the caller has read it already."""
    estimates = frames_metrics(frames)
    metrics = {name: e.to_dict() for name, e in estimates.items()}
    version = version if version is not None else bar_for_run(con, run_id)
    verdict: Verdict = judge(frames, version, estimates)
    models = sorted({m for m in rows["model"].to_list() if m is not None})
    return {"metrics": metrics, "verdict": verdict.to_dict(), "models_returned": models}


def score_and_summarise(
    con: duckdb.DuckDBPyConnection, run_id: str, version: BarVersion | None, rule: MatchRule
) -> dict[str, Any]:
    """Score the run's rows by `rule` (read once: scored, then summarised) and summarise them
    against bar `version`; `pilot.runs.finish` stores and audits the summary."""
    rows, cases = joined_rows(con, run_id)
    rows = score_rows(con, run_id, rows, rule)
    return summarise_frames(con, run_id, frames_of(rows, cases), rows, version)


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
