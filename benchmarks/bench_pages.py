"""Page settle times in the browser: the demo pilot, then the same pilot with ~1,000,000 stored
results (issue 10, item 11).

A real `pilot app` and Debian's chromium (Playwright). The lead clicks each sidebar link twice;
a page has settled when the tab names it, its script run has finished (the app's
`data-test-script-state`) and its heading is drawn. The large pilot copies the demo's newest finished run (with its results) until about
1,000,000 results are stored, all older than the demo's own runs, so the same pages open on the
same runs and only the stored volume differs. Prints seconds per page and the ratio large/demo
measured in the same run (the machine is shared: read ratios, not absolutes).

    PYTHONPATH=. python benchmarks/bench_pages.py [--results 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "e2e")]

from e2e_support import CHROMIUM, CHROMIUM_ARGS, settle, start_server, stop_server  # noqa: E402
from helpers import PASSWORD, USERS, seeded_store  # noqa: E402

from app.nav import PAGES  # noqa: E402
from pilot.core.access import can  # noqa: E402
from pilot.core.store import Store  # noqa: E402
from pilot.demo import seed_demo  # noqa: E402


def grow(db: Path, target: int) -> int:
    """Copy the newest finished run until about `target` results are stored; returns the
    number of results stored."""
    store = Store(db)
    with store.transaction() as con:
        run_id, n = con.execute(
            "SELECT r.run_id, count(*) FROM runs r JOIN results x USING (run_id) "
            "WHERE r.status = 'finished' GROUP BY r.run_id, r.started_at "
            "ORDER BY r.started_at DESC LIMIT 1"
        ).fetchone()
        have = con.execute("SELECT count(*) FROM results").fetchone()[0]
        copies = max(0, (target - have) // n)
        con.execute(
            "INSERT INTO runs SELECT 'bench-' || lpad(i::VARCHAR, 6, '0'), goldenset_version, "
            "config_version, bar_version, status, n_cases, "
            "'2020-01-01T00:00:00.000000Z', '2020-01-01T00:01:00.000000Z', started_by, "
            "replay_of, manifest, summary FROM runs, range(?) t(i) WHERE run_id = ?",
            [copies, run_id],
        )
        con.execute(
            "INSERT INTO results SELECT 'bench-' || lpad(i::VARCHAR, 6, '0'), "
            "results.* EXCLUDE (run_id) FROM results, range(?) t(i) WHERE run_id = ?",
            [copies, run_id],
        )
        return int(con.execute("SELECT count(*) FROM results").fetchone()[0])


def tree_cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process's descendants: (chromium, the app server).
    CPU time moves far less with the machine's load than seconds on the clock do."""
    parents: dict[str, str] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            parents[pid] = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]

    def ours(pid: str) -> bool:
        while pid in parents and pid != "1":
            pid = parents[pid]
            if pid == str(os.getpid()):
                return True
        return False

    chromium = server = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(ours, parents):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            used = (int(fields[11]) + int(fields[12])) / tick
            if b"chromium" in command.split(b"\0")[0]:
                chromium += used
            elif b"streamlit" in command:
                server += used
    return chromium, server


def visit_all(db: Path, log: Path) -> dict[str, list[tuple[float, float, float]]]:
    """Per page title, per visit: (seconds to settle, chromium CPU, server CPU)."""
    from playwright.sync_api import sync_playwright

    server = start_server(db, log)
    titles = [t for _, t, _, permission, _ in PAGES if can(USERS["priya"], permission)]
    times: dict[str, list[tuple[float, float, float]]] = {t: [] for t in titles}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url)
            # as a person would: the sign-in page drawn and idle before anyone types, and the
            # page after sign-in settled before the first click (else Home's first visit
            # counts the end of the sign-in run)
            settle(page, "Sign in", timeout=120_000)
            page.wait_for_load_state("networkidle")
            page.get_by_label("User name").fill("priya")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("Signed in as").wait_for(timeout=120_000)
            settle(page, "Home", timeout=120_000)
            page.wait_for_load_state("networkidle")
            for _ in (1, 2):
                for title in titles:
                    chromium, served = tree_cpu()
                    started = time.perf_counter()
                    page.get_by_role("link", name=title, exact=True).click()
                    settle(page, title, timeout=300_000)
                    took = time.perf_counter() - started
                    time.sleep(0.3)  # the server's last messages and the browser's last frame
                    after = tree_cpu()
                    times[title].append((took, after[0] - chromium, after[1] - served))
            browser.close()
    finally:
        stop_server(server)
    return times


def two_pilots(prefix: str, results: int) -> tuple[Path, Path]:
    """The demo pilot, and a copy of it grown to about `results` stored results."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    demo = folder / "demo.duckdb"
    with ThreadPoolExecutor(1) as pool:  # the demo's runs use asyncio
        pool.submit(seed_demo, seeded_store(demo)).result()
    large = folder / "large.duckdb"
    shutil.copy(demo, large)
    shutil.copy(f"{demo}.key", f"{large}.key")
    started = time.perf_counter()
    stored = grow(large, results)
    print(f"large pilot: {stored:,} results stored ({time.perf_counter() - started:.1f} s)")
    return demo, large


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=int, default=1_000_000)
    args = parser.parse_args()
    demo, large = two_pilots("bench-pages-", args.results)
    folder = demo.parent
    small = visit_all(demo, folder / "demo.log")
    big = visit_all(large, folder / "large.log")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("seconds to settle, then [chromium CPU + server CPU] seconds, 1st visit | 2nd visit")
    print(f"{'page':24} {'demo':>40} {'1M':>40} {'1M/demo 2nd':>12}")

    def cells(visits: list[tuple[float, float, float]]) -> str:
        return " | ".join(f"{s:5.2f}s [{c:4.2f}+{v:4.2f}]" for s, c, v in visits)

    for title in small:
        a, b = small[title], big[title]
        print(f"{title:24} {cells(a):>40} {cells(b):>40} {b[1][0] / a[1][0]:11.1f}x")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
