"""Time `pilot.guard` in-process against baselines measured in the same run.

Run: `.venv/bin/python benchmarks/bench_guard.py [calls]`. Prints p50/p99/max per call for:
a bare `os.stat` (the floor: the guard makes two), `pilot.guard` at stage 3 with the stage
cached, `pilot.guard` when the stage file changes before every call (the worst case: re-read),
and `killswitch.check` on an open DuckDB connection (what a database-backed guard would cost).
Asserts nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def timed(fn: Callable[[], object], calls: int) -> list[float]:
    for _ in range(min(calls, 1000)):  # warm up
        fn()
    out = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000)  # µs
    return out


def line(name: str, samples: list[float], base: float | None = None) -> float:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    ratio = f"  ({p50 / base:.1f}× os.stat at p50)" if base else ""
    print(f"{name:<44} p50 {p50:8.2f} µs  p99 {p99:8.2f} µs  max {samples[-1]:9.1f} µs{ratio}")
    return p50


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t_import = time.perf_counter()
    import pilot

    guard = pilot.guard
    print(
        f"import pilot + first pilot.guard attribute: {(time.perf_counter() - t_import) * 1000:.1f} ms"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "pilot.duckdb"
        stage = Path(str(db) + ".stage")
        stage.write_text('{"stage": 3, "config_version": "x"}')
        base = line("os.stat (baseline)", timed(lambda: os.stat(stage), calls))
        line("pilot.guard, stage cached", timed(lambda: guard("send", db=db), calls), base)
        os.environ["PILOT_DB"] = str(db)
        line(
            "pilot.guard consequential, PILOT_DB",
            timed(lambda: guard("pay", consequential=True), calls),
            base,
        )
        n = [0]

        def changed() -> object:
            n[0] += 1
            stage.write_text(json.dumps({"stage": n[0] % 3 + 1, "config_version": "x"}))
            return guard("send", db=db)

        write = timed(lambda: stage.write_text('{"stage": 2, "config_version": "x"}'), calls // 10)
        line("stage file rewrite alone", write, base)
        line("rewrite + pilot.guard (re-read each call)", timed(changed, calls // 10), base)

        from pilot.core import killswitch
        from pilot.core.store import Store

        store = Store(Path(tmp) / "db" / "pilot.duckdb")
        store.path.parent.mkdir()
        with store.read() as con:
            line(
                "killswitch.check on an open connection",
                timed(lambda: killswitch.check(con), calls // 10),
                base,
            )
        line("open + killswitch.check (no cache)", timed(lambda: _open_check(store), 200), base)


def _open_check(store: object) -> None:
    from pilot.core import killswitch

    with store.read() as con:  # type: ignore[attr-defined]
        killswitch.check(con)


if __name__ == "__main__":
    main()
