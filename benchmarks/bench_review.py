"""Review at scale: ingest against DuckDB's read_json alone, and status, dashboard and sample draw
over 10,000,000 stored outputs.

Run: `.venv/bin/python benchmarks/bench_review.py [n_ingest] [n_stored]` (defaults 1,000,000 and
10,000,000; 0 skips that part). Prints figures; asserts nothing. Files go to a temporary folder
(about 2 GB).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from pilot.core import access
from pilot.core.store import Store
from pilot.review import approvals, dashboard, ingest, sampling

COLUMNS = ingest.COLUMNS
RECORD = """
SELECT 'o' || i AS id,
       strftime(TIMESTAMP '2026-01-05' + to_seconds((i * 37) % (52 * 7 * 86400)),
                '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
       'How many days of leave do I get in year ' || (i % 40) || '?' AS input,
       'Full-time employees get ' || (20 + i % 6) || ' days of paid holiday.' AS output,
       [{'source_id': 'leave', 'cited_text': 'Full-time employees receive 23 days.'}] AS citations,
       [{'id': 'leave', 'title': 'Leave', 'text': 'Full-time employees receive 23 days.'}] AS sources,
       i % 10 = 0 AS consequential, 2 AS stage,
       [['numeric', 'ugly', 'dates', 'policy'][1 + i % 4]] AS tags,
       {'model': 'm', 'temperature': 0} AS system_config
FROM range({n}) t(i)
"""


ROUNDS = 5
STRATA = (
    "INSERT INTO live_strata SELECT week, stratum_tag, stage, consequential, count(*), 0 "
    "FROM live_outputs GROUP BY ALL"
)


def best(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def users(path: Path) -> Store:
    store = Store(path)
    access.add_user(store, "ada", "ada", "admin")
    access.add_user(store, "ada", "priya", "lead")
    access.add_user(store, "ada", "dana", "viewer")
    for i in range(4):
        access.add_user(store, "ada", f"ev{i}", "evaluator")
    return store


def bench_ingest(folder: Path, n: int) -> None:
    src = folder / f"outputs-{n}.jsonl"
    con = duckdb.connect()
    con.execute(f"COPY ({RECORD.replace('{n}', str(n))}) TO '{src}' (FORMAT json)")
    con.close()
    size = src.stat().st_size / 1e6

    def baseline() -> None:
        db = folder / "baseline.duckdb"
        db.unlink(missing_ok=True)
        c = duckdb.connect(str(db))
        c.execute(
            f"CREATE TABLE t AS SELECT * FROM read_json('{src}', format = 'newline_delimited', "
            f"columns = {COLUMNS})"
        )
        c.close()

    def ours() -> None:
        db = folder / f"ours-{len(timings)}.duckdb"  # a new file each time: Store caches migration
        store = users(db)
        start, cpu = time.perf_counter(), time.process_time()
        (result,) = ingest.ingest(store, "priya", str(src))
        timings.append(time.perf_counter() - start)
        cpu_ours.append(time.process_time() - cpu)
        db.unlink()
        assert result.ok and result.inserted == n, result.errors[:3]

    timings: list[float] = []
    cpu_ours: list[float] = []
    base: list[float] = []
    cpu_base: list[float] = []
    for i in range(ROUNDS):  # interleaved, in turn first, so a change in load hits both
        if i % 2:
            ours()
        start, cpu = time.perf_counter(), time.process_time()
        baseline()
        base.append(time.perf_counter() - start)
        cpu_base.append(time.process_time() - cpu)
        if not i % 2:
            ours()
    med = statistics.median
    ratios = [o / b for o, b in zip(timings, base, strict=True)]
    print(f"ingest {n:,} JSONL outputs ({size:.0f} MB), {ROUNDS} interleaved rounds")
    print(f"  DuckDB read_json into a table: median {med(base):.2f} s (best {min(base):.2f} s), "
          f"CPU median {med(cpu_base):.2f} s")  # fmt: skip
    print(f"  pilot live ingest:             median {med(timings):.2f} s "
          f"(best {min(timings):.2f} s), CPU median {med(cpu_ours):.2f} s")  # fmt: skip
    print(f"  ratio (target <= 1.3x): median/median {med(timings) / med(base):.2f}x, median of "
          f"per-round ratios {med(ratios):.2f}x, best/best {min(timings) / min(base):.2f}x; "
          f"CPU seconds median/median {med(cpu_ours) / med(cpu_base):.2f}x; rounds: "
          + ", ".join(f"{r:.2f}x" for r in ratios))  # fmt: skip
    again = users(folder / "again.duckdb")
    ingest.ingest(again, "priya", str(src))
    start = time.perf_counter()
    (result,) = ingest.ingest(again, "priya", str(src))
    print(f"  re-ingest of the same file (all {result.already:,} already there): "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip


def bench_stored(folder: Path, n: int) -> None:
    db = folder / "stored.duckdb"
    store = users(db)
    start = time.perf_counter()

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "INSERT INTO live_outputs SELECT r.id, r.timestamp::TIMESTAMP, "
            "strftime(r.timestamp::TIMESTAMP, '%G-W%V'), r.input, r.output, "
            "to_json(r.citations), to_json(r.sources), r.consequential, r.stage, r.tags, "
            "r.tags[1], to_json(r.system_config), NULL, false, 'bench', now()::TIMESTAMP, "
            "xor(hash(r.id, 0::BIGINT), hash(0::BIGINT)) "
            f"FROM ({RECORD.replace('{n}', str(n))}) r ORDER BY r.timestamp"
        )
        con.execute(
            "INSERT INTO live_weeks SELECT week, count(*), 0 FROM live_outputs GROUP BY week"
        )
        con.execute(STRATA)

    store.write(fill)
    print(f"\n{n:,} stored outputs over 52 ISO weeks of 2026 (filled in "
          f"{time.perf_counter() - start:.0f} s)")  # fmt: skip
    weeks = [f"2026-W{w:02d}" for w in range(2, 52)]
    draws = []
    for seed, week in enumerate(weeks[:5]):
        t0 = time.perf_counter()
        sampling.draw(store, "priya", week, 40, seed)
        draws.append(time.perf_counter() - t0)
    print(f"  sample draw, one week (~{n // 52:,} outputs), 40 items: best {min(draws):.3f} s, "
          f"median {statistics.median(draws):.3f} s")  # fmt: skip

    def fill_grades(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "INSERT INTO assignments SELECT output_id, 1, 'ev' || (position % 4), 'x' "
            "FROM sample_items"
        )
        con.execute(
            "INSERT INTO grades SELECT output_id, 'ev' || (position % 4), 1, "
            "CASE WHEN position % 9 = 0 THEN 'incorrect' ELSE 'correct' END, true, "
            "CASE WHEN position % 9 = 0 THEN 'critical' ELSE 'none' END, '', NULL, 'x', 'bench' "
            "FROM sample_items"
        )

    store.write(fill_grades)

    def status() -> None:
        with store.read() as con:
            dashboard.status(con, "dana")

    def page_queries() -> None:
        with store.read() as con:
            dashboard.status(con, "priya")
            sampling.list_samples(con)
            approvals.pending(con, limit=20)

    s_best, s_median = best(status)
    p_best, p_median = best(page_queries)
    print(f"  review status: best {s_best:.3f} s, median {s_median:.3f} s (target < 1 s)")
    print(f"  dashboard page queries (status + samples + approvals waiting): best {p_best:.3f} s,"
          f" median {p_median:.3f} s (target < 1 s)")  # fmt: skip

    def one_week(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE live_outputs SET week = '2026-W53'")
        con.execute("DELETE FROM live_weeks")
        con.execute(f"INSERT INTO live_weeks VALUES ('2026-W53', {n}, 0)")
        con.execute("DELETE FROM live_strata")
        con.execute(STRATA)

    store.write(one_week)
    for size, repeats in ((40, 5), (400, 3)):
        times = []
        for seed in range(repeats):  # a new seed each time: a new sample, drawn and stored
            t0 = time.perf_counter()
            drawn = sampling.draw(store, "priya", "2026-W53", size, 100 * size + seed)
            times.append(time.perf_counter() - t0)
        print(f"  sample draw with all {n:,} outputs in one week, {size} items "
              f"({len(drawn['strata'])} strata): median {statistics.median(times):.3f} s, "
              f"best {min(times):.3f} s (target < 1 s)")  # fmt: skip

    def count_only() -> None:
        with store.read() as con:
            con.execute(
                "SELECT stratum_tag, stage, consequential, count(*) FROM live_outputs "
                "WHERE week = '2026-W53' GROUP BY ALL"
            ).fetchall()

    c_best, c_median = best(count_only)
    print(f"  for scale, a bare GROUP BY stratum count(*) over the same week (open + query): "
          f"median {c_median:.3f} s")  # fmt: skip


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    print("load average at start: {:.1f} {:.1f} {:.1f} on {} cores".format(
        *os.getloadavg(), os.cpu_count()))  # fmt: skip
    n_ingest = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_stored = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        if n_ingest:
            bench_ingest(Path(tmp), n_ingest)
        if n_stored:
            bench_stored(Path(tmp), n_stored)
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
