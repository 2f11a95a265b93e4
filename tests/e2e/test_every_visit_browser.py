"""Browser: the lead opens every page twice from the sidebar and never sees an exception."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from e2e_support import Server, start_server, stop_server
from helpers import PASSWORD, USERS, seeded_store

from app.nav import PAGES
from pilot.core.access import can
from pilot.demo import seed_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("visits")
    # in a thread: the demo's runs use asyncio, and Playwright's loop owns this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(seed_demo, seeded_store(folder / "pilot.duckdb")).result()
    srv = start_server(folder / "pilot.duckdb", folder / "server.log")
    yield srv
    stop_server(srv)


def sign_in(page: Any, server: Server, name: str, path: str = "") -> None:
    page.goto(server.url + path)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def settle(page: Any, title: str) -> None:
    """Wait until the tab names the page, Streamlit has finished the run (no running
    indicator) and the page's heading is drawn."""
    page.wait_for_function("t => document.title === t", arg=title, timeout=30_000)
    page.locator("h1").first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )


def test_lead_opens_every_page_twice(browser: Any, server: Server) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "priya")
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
    titles = [title for _, title, _, permission, _ in PAGES if can(USERS["priya"], permission)]
    settled: dict[str, list[float]] = {title: [] for title in titles}
    for visit in (1, 2):
        for title in titles:
            started = time.perf_counter()
            page.get_by_role("link", name=title, exact=True).click()
            settle(page, title)
            settled[title].append(time.perf_counter() - started)
            shown = page.locator('[data-testid="stException"]').all_inner_texts()
            assert not shown, f"visit {visit} of {title}: {shown}"
    page.close()
    # a measurement, not an assertion (docs/benchmarks.md): seconds from click to settled
    for title, times in settled.items():
        print(f"settle {title}: " + ", ".join(f"{t:.2f} s" for t in times))
