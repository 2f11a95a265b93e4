"""Script CPU per page: each page's Streamlit script run (app/main.py and the page) in AppTest,
on the demo pilot and on the same pilot with ~1,000,000 stored results (issue 10, item 11).

The browser figures (`bench_pages.py`) move with the machine's load; a script run's CPU time
moves far less, so this is the figure to compare trees by: run it with PYTHONPATH set to each
tree in turn. Thread CPU of the script's thread (DuckDB's worker threads are not counted) and
wall time, for the first visit and the median of the later ones; the lead is signed in. Each
script is compiled once, as in the server (AppTest alone recompiles on every run).

    PYTHONPATH=. python benchmarks/bench_page_cpu.py [--results 1000000] [--visits 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_pages import two_pilots  # noqa: E402
from streamlit.runtime.scriptrunner import script_runner  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from app import nav  # noqa: E402
from app.nav import PAGES  # noqa: E402

APP = Path(nav.__file__).parent  # the tree on PYTHONPATH, whose pages are measured

TIMES: list[tuple[float, float]] = []
_run_script = script_runner.ScriptRunner._run_script


def _timed(self: Any, *args: Any, **kwargs: Any) -> Any:
    cpu, wall = time.thread_time(), time.perf_counter()
    try:
        return _run_script(self, *args, **kwargs)
    finally:
        TIMES.append((time.thread_time() - cpu, time.perf_counter() - wall))


script_runner.ScriptRunner._run_script = _timed  # type: ignore[method-assign]

# The server compiles each page script once (Streamlit's ScriptCache lives as long as it does);
# AppTest makes a new cache for every run, so each visit would count a compile the server never
# repeats (0.05-0.2 s a page). Share one, as the server does.
_compiled: dict[str, Any] = {}
_get_bytecode = ScriptCache.get_bytecode


def _compiled_once(self: ScriptCache, script_path: str) -> Any:
    if script_path not in _compiled:
        _compiled[script_path] = _get_bytecode(self, script_path)
    return _compiled[script_path]


ScriptCache.get_bytecode = _compiled_once  # type: ignore[method-assign]


def warm_up() -> None:
    """What the server does when it starts (app/warmup.py), where the tree has it."""
    try:
        from app import warmup
    except ImportError:  # a tree from before the warm-up: its first visits import
        return
    warmup.import_all()


def visit_all(db: Path, visits: int) -> dict[str, tuple[float, float, float, float]]:
    """Per page title: (cpu first, cpu later median, wall first, wall later median)."""
    os.environ["PILOT_DB"] = str(db)
    app = AppTest.from_file(str(APP / "main.py"), default_timeout=900)
    app.session_state["auth_user"] = "priya"
    app.session_state["auth_role"] = "lead"
    app.run()
    found = {}
    for path, title, _, permission, _ in PAGES:
        if permission == "manage_users":
            continue
        cpu, wall = [], []
        for _ in range(visits):
            TIMES.clear()
            app.switch_page(path).run()
            if app.exception:
                raise RuntimeError(f"{title}: {app.exception}")
            cpu.append(TIMES[-1][0])
            wall.append(TIMES[-1][1])
        later_cpu, later_wall = cpu[1:] or cpu, wall[1:] or wall
        found[title] = (
            cpu[0],
            statistics.median(later_cpu),
            wall[0],
            statistics.median(later_wall),
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=3)
    args = parser.parse_args()
    demo, large = two_pilots("bench-page-cpu-", args.results)
    warm_up()
    folder = demo.parent
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    small = visit_all(demo, args.visits)
    big = visit_all(large, args.visits)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print("script CPU seconds (first / later visits), wall seconds in brackets")
    print(f"{'page':24} {'demo':>26} {'1M':>26} {'1M/demo later':>14}")
    for title, a in small.items():
        b = big[title]
        print(
            f"{title:24} {a[0]:6.2f} / {a[1]:5.2f} ({a[2]:4.2f}/{a[3]:4.2f}) "
            f"{b[0]:6.2f} / {b[1]:5.2f} ({b[2]:4.2f}/{b[3]:4.2f}) {b[1] / max(a[1], 1e-3):13.1f}x"
        )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
