"""Evidence report speed: the demo pilot (target < 5 s) and a scaled pilot (target < 30 s for
1,000,000 results and 10,000,000 live outputs).

The scaled pilot starts from the demo and grows it with DuckDB SQL: a golden-set version of
`--cases` cases (the demo's cases repeated, its real content hash and import event recorded),
`--results / --cases` finished runs on it (the run of record's answers repeated, one in seven
blanked per run so runs differ; each run's digest recorded in a keyed `run.finish` event, the
newest few summarised from their rows), and `--live` live outputs (the demo's repeated with
their week, stage, tags and flags, their texts left empty since no report figure reads them;
counted into `live_weeks`). Prints the time of each step of the report, and, as the baseline measured in
the same run, `pilot readiness`'s computation on the same database.

Usage: python benchmarks/bench_report.py [--results 1000000] [--live 10000000] [--cases 5000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb

from pilot.core import audit
from pilot.core.store import Store
from pilot.demo import seed_demo
from pilot.evidence.gather import default_scope, gather
from pilot.evidence.model import digest
from pilot.evidence.render import render_html
from pilot.evidence.report import generate
from pilot.goldensets.stored import load_cases, version_of
from pilot.readiness.record import run_of_record
from pilot.readiness.status import readiness
from pilot.runs.integrity import results_digest, summary_digest
from pilot.runs.scoring import summarise

LEAD = "priya"


def timed(label: str, fn, repeat: int = 1):  # noqa: ANN001, ANN201
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<44} {best:8.2f} s")
    return best, value


def measure(store: Store, label: str, repeat: int) -> dict[str, float]:
    print(f"{label}:")
    with store.read() as con:
        n_results = con.execute("SELECT count(*) FROM results").fetchone()[0]
        n_live = con.execute("SELECT count(*) FROM live_outputs").fetchone()[0]
    print(f"  {n_results:,} results, {n_live:,} live outputs")

    def baseline() -> object:
        with store.read() as con:
            return readiness(con, LEAD, store.key())

    base, _ = timed("baseline: readiness (scorecard + ladder)", baseline, repeat)
    scope_t, scope = timed("scope (runs, audit point)", lambda: default_scope(store, LEAD), repeat)
    gather_t, evidence = timed("gather every figure", lambda: gather(store, LEAD, scope), repeat)
    sha = digest(evidence)
    render_t, html = timed("render HTML (Plotly inline)", lambda: render_html(evidence, sha, None, None), repeat)  # fmt: skip
    total, made = timed("pilot report (all of it, audited)", lambda: generate(store, LEAD), repeat)
    print(f"  HTML {len(made.html):,} bytes, {len(made.evidence.figures)} figures")
    print(f"  report / readiness baseline: {total / base:.1f}x")
    return {
        "baseline": base,
        "scope": scope_t,
        "gather": gather_t,
        "render": render_t,
        "total": total,
    }


def grow(store: Store, results: int, live: int, cases: int) -> None:
    """Add a golden-set version of `cases` cases, `results // cases` runs on it, `live` outputs."""
    runs = max(1, results // cases)
    with store.read() as con:
        record = run_of_record(con)
        template = record.run_id
    started = time.perf_counter()

    def body(con: duckdb.DuckDBPyConnection) -> None:
        base = con.execute(
            "SELECT version FROM goldenset_versions WHERE name = 'benefits'"
        ).fetchone()[0]
        con.execute(
            "INSERT INTO golden_cases SELECT 'bench', case_id || '~' || i, position + 1000 * i, "
            "question, expected_answer, answerable, tags, consequential, evidence, sources "
            "FROM golden_cases, range(?) t(i) WHERE version = ? "
            "QUALIFY row_number() OVER () <= ?",
            [cases // 150 + 1, base, cases],
        )
        real = version_of(load_cases(con, "bench"))
        con.execute("UPDATE golden_cases SET version = ? WHERE version = 'bench'", [real])
        n, unans = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT answerable) FROM golden_cases WHERE version = ?",
            [real],
        ).fetchone()
        con.execute(
            "INSERT INTO goldenset_versions SELECT ?, name, ?, ?, ?, ?, created_by, 'bench.jsonl', "
            "format, NULL, NULL, NULL, 'benchmark' FROM goldenset_versions WHERE version = ?",
            [real, real, n, unans, audit.utc_now(), base],
        )
        audit.record(con, LEAD, "lead", "goldenset.import", "goldenset:benefits",
                     {"version": real, "n_cases": n})  # fmt: skip
        for i in range(runs):
            run_id = f"bench-{i:05d}"
            con.execute(
                "INSERT INTO runs SELECT ?, ?, config_version, bar_version, 'finished', ?, "
                "started_at || ?, finished_at || ?, started_by, NULL, manifest, summary "
                "FROM runs WHERE run_id = ?",
                [run_id, real, n, f"-{i:05d}", f"-{i:05d}", template],
            )
            con.execute(
                "INSERT INTO results SELECT ?, g.case_id, CASE WHEN hash(g.case_id, ?) % 7 = 0 "
                "THEN '' ELSE r.answer END, r.abstained, r.claims, r.citations, r.error, r.cached, "
                "r.latency_ms, r.input_tokens, r.output_tokens, r.cost_usd, r.model, r.stop_reason, "
                "r.attempts, r.request_hash, r.finished_at, CASE WHEN hash(g.case_id, ?) % 7 = 0 "
                "THEN false ELSE r.correct END, r.match_rule FROM golden_cases g JOIN results r "
                "ON r.run_id = ? AND r.case_id = split_part(g.case_id, '~', 1) WHERE g.version = ?",
                [run_id, i, i, template, real],
            )
        print(f"  {runs} runs of {n:,} cases inserted in {time.perf_counter() - started:.1f} s")
        for i in range(runs):
            run_id = f"bench-{i:05d}"
            if i >= runs - 6:  # the newest runs, which the report covers, summarised from rows
                stored = json.dumps(summarise(con, run_id))
                con.execute("UPDATE runs SET summary = ? WHERE run_id = ?", [stored, run_id])
            else:
                stored = con.execute(
                    "SELECT summary FROM runs WHERE run_id = ?", [run_id]
                ).fetchone()[0]
            audit.record(con, LEAD, "lead", "run.finish", f"run:{run_id}",
                         {"results_digest": results_digest(con, run_id),
                          "summary_digest": summary_digest(stored), "status": "finished"})  # fmt: skip
        print(f"  runs finished (digests recorded) at {time.perf_counter() - started:.1f} s")
        if live:
            con.execute(
                "INSERT INTO live_outputs SELECT 'bench-' || i, t.ts, t.week, '', '', "
                "'[]', '[]', t.consequential, t.stage, t.tags, t.stratum_tag, "
                "t.system_config, NULL, t.simulated, 'bench', t.ingested_at FROM range(?) r(i) "
                "JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS k FROM live_outputs) t "
                "ON t.k = i % 360",
                [live],
            )
            con.execute(
                "UPDATE live_weeks SET outputs = w.n FROM (SELECT week, count(*) AS n "
                "FROM live_outputs GROUP BY 1) w WHERE live_weeks.week = w.week"
            )
        print(f"  {live:,} live outputs at {time.perf_counter() - started:.1f} s")

    store.write(body, attempts=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--live", type=int, default=10_000_000)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        store = Store(Path(tmp) / "demo.duckdb")
        seed_demo(store)
        demo = measure(store, "demo pilot", args.repeat)
        print(f"scaling to {args.results:,} results and {args.live:,} live outputs:")
        grow(store, args.results, args.live, args.cases)
        large = measure(store, "scaled pilot", 1)
        print(f"scaled / demo report time: {large['total'] / demo['total']:.1f}x; "
              f"demo target 5 s, scaled target 30 s")  # fmt: skip


if __name__ == "__main__":
    main()
