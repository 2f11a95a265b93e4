"""What the Results page shows, as plain rows and frames: verdicts, metric history, per-tag
slices, run-versus-run flips. Every figure is recomputed from stored rows by `metrics`, so the
page, the CLI and the report cannot disagree; the page only lays these out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl

from metrics import METRICS, count_all, per_tag, summarise
from metrics.estimate import Estimate
from metrics.regression import RunComparison
from pilot.define.verdicts import LOWER_IS_BETTER, Verdict, frames_metrics, judge
from pilot.results.charts import Threshold, label, pct
from pilot.results.comparison import compare
from pilot.runs.record import RunFrames, case_sources, result_rows, run_frames
from pilot.runs.run import RunStatus
from pilot.runs.scoring import bar_for_run, explain
from pilot.runs.start import list_runs

CASE_COLUMNS = ("case_id", "question", "answer", "expected_answer", "correct", "abstained", "tags")


def finished_runs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Finished runs, newest first, each with a `label` for pickers."""
    runs = [r for r in list_runs(con, limit=1000) if r["status"] is RunStatus.FINISHED]
    runs.sort(key=lambda r: (r["started_at"], r["run_id"]), reverse=True)
    for r in runs:
        r["label"] = (
            f"{r['started_at'][:16].replace('T', ' ')} · {r['system'] or 'system'} "
            f"(config {r['config_version'][:8]}) · {r['run_id']}"
        )
    return runs


def bar_name(bar_version: int | None, signed: bool) -> str:
    if bar_version is None:
        return "no bar"
    return f"bar v{bar_version} ({'signed' if signed else 'unsigned draft'})"


def thresholds(
    bar: Mapping[str, Any] | None, bar_version: int | None, signed: bool
) -> dict[str, Threshold]:
    """The bar's criteria on all cases, by metric: the lines the charts draw. Tag-scoped
    criteria appear in the verdict table only."""
    found = {}
    for c in (bar or {}).get("criteria", []):
        if c.get("scope", "all") == "all":
            found[c["metric"]] = Threshold(
                metric=c["metric"],
                value=float(c["threshold"]),
                direction="at_most" if c["metric"] in LOWER_IS_BETTER else "at_least",
                judged_on=c.get("judged_on", "point"),
                bar=bar_name(bar_version, signed),
            )
    return found


@dataclass(frozen=True)
class RunResults:
    """One run recomputed from its stored rows."""

    run_id: str
    rows: pl.DataFrame
    frames: RunFrames
    estimates: dict[str, Estimate]
    slices: pl.DataFrame
    verdict: Verdict
    bar_version: int | None
    signed: bool
    thresholds: dict[str, Threshold]

    @property
    def tags(self) -> list[str]:
        return sorted({t for ts in self.rows["tags"].to_list() for t in ts})


def load_run(con: duckdb.DuckDBPyConnection, run_id: str) -> RunResults:
    frames = run_frames(con, run_id)
    counts = count_all(
        frames.results, frames.citations, frames.claims, frames.sources, frames.evidence
    )
    bar, bar_version, signed = bar_for_run(con, run_id)
    return RunResults(
        run_id=run_id,
        rows=result_rows(con, run_id),
        frames=frames,
        estimates=summarise(counts),
        slices=per_tag(frames.results, counts=counts),
        verdict=judge(frames, bar, bar_version, signed),
        bar_version=bar_version,
        signed=signed,
        thresholds=thresholds(bar, bar_version, signed),
    )


def interval(low: float | None, high: float | None) -> str:
    return "—" if low is None or high is None else f"{pct(low)} to {pct(high)}"


def _judged_on(judged_on: str, direction: str) -> str:
    if judged_on == "point":
        return "point estimate"
    return "95% lower bound" if direction == "at_least" else "95% upper bound"


def verdict_rows(verdict: Verdict, estimates: Mapping[str, Estimate]) -> list[dict[str, Any]]:
    """The verdict as a table of criteria, then the case count and critical errors. With no bar,
    the run's figures with no threshold and no result."""
    rows: list[dict[str, Any]] = []
    if not verdict.criteria:
        for name in METRICS:
            e = estimates[name]
            rows.append(
                {
                    "criterion": label(name),
                    "scope": "all cases",
                    "judged on": "—",
                    "threshold": "no bar",
                    "value": pct(e.value),
                    "95% interval": interval(e.low, e.high),
                    "n": e.n,
                    "result": "—",
                }
            )
    for c in verdict.criteria:
        bound = "at least" if c.direction == "at_least" else "at most"
        rows.append(
            {
                "criterion": label(c.metric),
                "scope": "all cases" if c.scope == "all" else c.scope.replace("tag:", "tag: "),
                "judged on": _judged_on(c.judged_on, c.direction),
                "threshold": f"{bound} {pct(c.threshold)}",
                "value": pct(c.value),
                "95% interval": interval(c.low, c.high),
                "n": c.n,
                "result": "PASS" if c.passed else ("FAIL (no cases)" if c.n == 0 else "FAIL"),
            }
        )
    if verdict.criteria:
        rows.append(
            {
                "criterion": "Cases in the golden set",
                "scope": "all cases",
                "judged on": "count",
                "threshold": f"at least {verdict.min_cases}",
                "value": str(verdict.n_cases),
                "95% interval": "",
                "n": verdict.n_cases,
                "result": "PASS" if verdict.min_cases_met else "FAIL",
            }
        )
    crit = verdict.critical_errors
    limit = verdict.max_critical_errors
    rows.append(
        {
            "criterion": "Critical errors",
            "scope": "all cases",
            "judged on": "count",
            "threshold": "—" if limit is None else f"at most {limit}",
            "value": str(len(crit)),
            "95% interval": "",
            "n": verdict.n_cases,
            "result": "—" if limit is None else ("PASS" if len(crit) <= int(limit) else "FAIL"),
        }
    )
    return rows


def run_metrics(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Estimate]:
    """Every metric of one run, recomputed from its stored rows. A finished run's rows never
    change, so callers may cache this by run id."""
    return frames_metrics(run_frames(con, run_id))


def missed(verdict: Verdict) -> int:
    """How many of the bar's requirements the run misses: criteria, case count, critical errors."""
    limit = verdict.max_critical_errors
    return (
        sum(not c.passed for c in verdict.criteria)
        + (not verdict.min_cases_met)
        + (limit is not None and len(verdict.critical_errors) > int(limit))
    )


def metric_history(
    runs: Sequence[Mapping[str, Any]], metrics: Mapping[str, Mapping[str, Estimate]]
) -> pl.DataFrame:
    """One row per run and metric, oldest run first: order, run_id, tick, started_at, system,
    goldenset_version, metric, value, low, high, n. `metrics` maps run id → `run_metrics`."""
    records = []
    ordered = sorted(runs, key=lambda r: (r["started_at"], r["run_id"]))
    for order, run in enumerate(ordered, start=1):
        estimates = metrics[run["run_id"]]
        started = run["started_at"][:16].replace("T", " ")
        for name in METRICS:
            e = estimates[name]
            records.append(
                {
                    "order": order,
                    "run_id": run["run_id"],
                    "tick": f"#{order}<br>{started[5:]}",
                    "started_at": started,
                    "system": f"{run['system']} (config {run['config_version'][:8]})",
                    "goldenset_version": run["goldenset_version"],
                    "metric": name,
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
            )
    schema = {
        "order": pl.Int64,
        "run_id": pl.String,
        "tick": pl.String,
        "started_at": pl.String,
        "system": pl.String,
        "goldenset_version": pl.String,
        "metric": pl.String,
        "value": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
        "n": pl.Int64,
    }
    return pl.DataFrame(records, schema=schema)


def p_value(p: float) -> str:
    """A p-value as people read it: "< 0.001" rather than 6.1e-05."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}".rstrip("0").rstrip(".")


def cases_for(rows: pl.DataFrame, tags: Sequence[str]) -> pl.DataFrame:
    """Cases carrying any of `tags` (all cases when none is chosen), wrong answers first."""
    if tags:
        rows = rows.filter(pl.col("tags").list.eval(pl.element().is_in(list(tags))).list.any())
    return rows.sort(pl.col("correct").fill_null(False), "position")


def baselines(runs: Sequence[Mapping[str, Any]], run_id: str) -> list[Mapping[str, Any]]:
    """Other finished runs on the same golden set version, the one started just before first."""
    chosen = next(r for r in runs if r["run_id"] == run_id)
    same = [
        r
        for r in runs
        if r["run_id"] != run_id and r["goldenset_version"] == chosen["goldenset_version"]
    ]
    before = [r for r in same if r["started_at"] <= chosen["started_at"]]
    after = [r for r in same if r["started_at"] > chosen["started_at"]]
    return before + after


def _p_phrase(p: float) -> str:
    text = p_value(p)
    return text if text.startswith("<") else f"= {text}"


@dataclass(frozen=True)
class Comparison:
    base: str
    new: str
    result: RunComparison
    flips: pl.DataFrame
    deltas: list[dict[str, Any]]
    base_rows: pl.DataFrame
    new_rows: pl.DataFrame

    def summary(self) -> str:
        r = self.result
        return (
            f"{r.n} cases in both runs: {r.b} now wrong, {r.c} now right; "
            f"McNemar's exact test p {_p_phrase(r.p_value)}"
            + (" (significantly worse)" if r.significantly_worse() else "")
        )


def comparison(con: duckdb.DuckDBPyConnection, base: str, new: str) -> Comparison:
    """Flipped cases with both answers, and metric deltas with paired intervals."""
    result = compare(con, base, new)
    base_rows, new_rows = result_rows(con, base), result_rows(con, new)
    answers = base_rows.select("case_id", "question", baseline_answer="answer").join(
        new_rows.select("case_id", new_answer="answer"), on="case_id"
    )
    flips = (
        result.flips.join(answers, on="case_id", how="left")
        .select(
            "case_id",
            change=pl.col("direction").replace(
                {"now_wrong": "now wrong", "now_right": "now right"}
            ),
            question=pl.col("question"),
            **{
                "baseline answer": pl.col("baseline_answer"),
                "this run's answer": pl.col("new_answer"),
            },
        )
        .sort("change", "case_id")
    )
    deltas = [
        {
            "measure": label(name),
            "baseline": pct(d.base.value),
            "new": pct(d.new.value),
            "change": "—" if d.value is None else f"{100 * d.value:+.1f} pts",
            "95% interval": "—"
            if d.low is None or d.high is None
            else f"{100 * d.low:+.1f} to {100 * d.high:+.1f} pts",
            "n": d.n,
        }
        for name, d in result.deltas.items()
    ]
    return Comparison(base, new, result, flips, deltas, base_rows, new_rows)


def excerpt(
    text: str, spans: Sequence[tuple[int, int]], context: int = 300
) -> tuple[str, list[tuple[int, int]]]:
    """The lines around each cited span (within `context` characters), joined by "…", with the
    spans moved to match; the whole text when nothing is cited. A cited passage deep in a long
    policy is then on screen without scrolling."""
    if not spans:
        return text, []
    windows: list[list[int]] = []
    for start, end in sorted(spans):
        lo = max(0, start - context)
        lo = text.rfind("\n", lo, start) + 1 or lo
        hi = min(len(text), end + context)
        newline = text.find("\n", end, hi)
        hi = hi if newline < 0 else newline
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    out, moved = "", []
    for lo, hi in windows:
        head = ("\n" if out else "") + ("… " if lo > 0 else "")
        shift = len(out) + len(head) - lo
        out += head + text[lo:hi] + (" …" if hi < len(text) else "")
        moved += [(s + shift, e + shift) for s, e in spans if lo <= s and e <= hi]
    return out, moved


def case_side(
    con: duckdb.DuckDBPyConnection, run_id: str, rows: pl.DataFrame, case_id: str
) -> dict[str, Any]:
    """One run's answer to one case: the row, why it is judged so, and each source (an excerpt
    around what was cited, when anything was) with the cited spans."""
    row = rows.filter(pl.col("case_id") == case_id).to_dicts()[0]
    citations = json.loads(row["citations"] or "[]")
    sources = []
    for source in case_sources(con, run_id, case_id):
        spans = [(c["start"], c["end"]) for c in citations if c["source_id"] == source["id"]]
        text, shown = excerpt(source["text"], spans)
        sources.append(
            {
                "id": source["id"],
                "title": source.get("title") or source["id"],
                "text": text,
                "spans": shown,
                "cited": len(spans),
                "excerpt": bool(spans) and text != source["text"],
            }
        )
    return {"row": row, "why": explain(row), "sources": sources}
