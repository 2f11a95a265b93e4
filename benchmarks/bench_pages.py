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


def visit_all(db: Path, log: Path) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    server = start_server(db, log)
    titles = [t for _, t, _, permission, _ in PAGES if can(USERS["priya"], permission)]
    times: dict[str, list[float]] = {t: [] for t in titles}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server.url)
            page.get_by_label("User name").fill("priya")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_text("Signed in as").wait_for(timeout=120_000)
            for _ in (1, 2):
                for title in titles:
                    started = time.perf_counter()
                    page.get_by_role("link", name=title, exact=True).click()
                    settle(page, title, timeout=300_000)
                    times[title].append(time.perf_counter() - started)
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
    print(
        f"{'page':28} {'demo 1st':>9} {'demo 2nd':>9} {'1M 1st':>9} {'1M 2nd':>9} {'ratio 2nd':>9}"
    )
    for title in small:
        a, b = small[title], big[title]
        print(f"{title:28} {a[0]:8.2f}s {a[1]:8.2f}s {b[0]:8.2f}s {b[1]:8.2f}s {b[1] / a[1]:8.1f}x")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
