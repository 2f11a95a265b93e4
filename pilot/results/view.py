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

from metrics import SECTIONS, count_all, metric_names, per_tag, registered, summarise
from metrics.estimate import Estimate
from metrics.regression import RunComparison
from pilot.core.inert_doc import word_window
from pilot.define.bar_versions import BarVersion
from pilot.define.verdicts import Verdict, judge
from pilot.results.chart_style import Threshold, label, pct
from pilot.results.comparison import compare
from pilot.results.humane import local_time
from pilot.runs.lookup import content_versions, recent_runs
from pilot.runs.record import RunFrames, case_sources, result_rows, run_frames
from pilot.runs.run import RunStatus
from pilot.runs.scoring import bar_for_run, explain

CASE_COLUMNS = ("case_id", "correct", "abstained", "question", "answer", "expected_answer", "tags")
CASE_HEADERS = {"case_id": "case", "expected_answer": "expected answer"}
"""The case table's headers in words."""


def finished_runs(con: duckdb.DuckDBPyConnection, tz: str | None = None) -> list[dict[str, Any]]:
    """Scored runs (finished, or inconclusive: too many infrastructure errors to judge), newest
    first, each with a `label` for pickers (its start in the viewer's zone `tz`)."""
    scored = (RunStatus.FINISHED, RunStatus.INCONCLUSIVE)
    runs = [r for r in recent_runs(con, limit=1000) if r["status"] in scored]
    runs.sort(key=lambda r: (r["started_at"], r["run_id"]), reverse=True)
    for r in runs:
        r["label"] = (
            f"{local_time(r['started_at'], tz)} · {r['system'] or 'system'} "
            f"(config {r['config_version'][:8]}) · {r['run_id']}"
        )
    return runs


def bar_name(bar_version: int | None, signed: bool) -> str:
    if bar_version is None:
        return "no bar"
    return f"bar v{bar_version} ({'signed' if signed else 'unsigned draft'})"


def thresholds(version: BarVersion | None) -> dict[str, Threshold]:
    """The bar's criteria on all cases, by metric: the lines the charts draw. Tag-scoped
    criteria appear in the verdict table only."""
    if version is None:
        return {}
    name = bar_name(version.version, version.signed)
    return {c.metric: Threshold(c, name) for c in version.bar.criteria if c.tag is None}


def sections(estimates: Mapping[str, Estimate]) -> dict[str, list[str]]:
    """The report's sections after the verdict, each with its metrics in report order (from
    their registration): the Results page draws one block per section."""
    found: dict[str, list[str]] = {}
    for name, spec in registered().items():
        if name in estimates and spec.section != "answers":
            found.setdefault(SECTIONS[spec.section], []).append(name)
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
    counts = count_all(**frames.inputs())
    estimates = summarise(counts)
    version = bar_for_run(con, run_id)
    return RunResults(
        run_id=run_id,
        rows=result_rows(con, run_id),
        frames=frames,
        estimates=estimates,
        slices=per_tag(frames.results, counts=counts),
        verdict=judge(frames, version, estimates),
        bar_version=None if version is None else version.version,
        signed=version is not None and version.signed,
        thresholds=thresholds(version),
    )


def run_metrics(
    con: duckdb.DuckDBPyConnection, run_id: str, names: tuple[str, ...] | None = None
) -> dict[str, Estimate]:
    """Every metric of one run (only `names`, when given: the Over-time chart draws one measure
    at a time), recomputed from its stored rows. Callers cache it under a fingerprint of the
    rows (`history_keys`)."""
    return summarise(count_all(**run_frames(con, run_id).inputs(), names=names))


HISTORY_RUNS = 20
"""The Over-time chart shows at most this many runs, the newest: each is recomputed once
(then cached), and a chart of thousands of points is read by no one."""


def history_runs(
    runs: Sequence[Mapping[str, Any]], goldenset_version: str | None
) -> tuple[list[Mapping[str, Any]], int]:
    """The runs the Over-time chart shows (newest first, at most `HISTORY_RUNS`; only those on
    `goldenset_version` unless it is None) and how many of `runs` qualified."""
    eligible = [r for r in runs if goldenset_version in (None, r["goldenset_version"])]
    return eligible[:HISTORY_RUNS], len(eligible)


def history_keys(con: duckdb.DuckDBPyConnection, run_ids: Sequence[str]) -> dict[str, str]:
    """Per run id, the fingerprint of its stored results that its cached metrics are keyed
    by: a run whose rows changed gets its figures recomputed, never a stale copy."""
    found = content_versions(con, run_ids)
    return {run_id: found.get(run_id, "0:") for run_id in run_ids}


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
        for name in metric_names():
            e = estimates.get(name) or Estimate.missing(name)
            records.append(
                {
                    "order": order,
                    "run_id": run["run_id"],
                    "tick": f"#{order}\n{started[5:]}",
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
    """The lines around each cited span (within `context` characters, ending on word
    boundaries), joined by "…", with the spans moved to match; the whole text when nothing is cited. A cited passage deep in a long
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
        lo, hi = word_window(text, lo, hi, (start, end))  # never mid-word
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
