"""Browser: the lead opens every page twice from the sidebar and never sees an exception."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from e2e_support import Server, settle, start_server, stop_server
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


def test_the_sign_in_page_loads_the_chart_and_table_code(browser: Any, server: Server) -> None:
    """While someone types their password, the browser loads Streamlit's Plotly and table
    code (app/warmup.py) and draws one hidden chart, so the first page with a chart or a table
    does not wait for that code to load and compile."""
    page = browser.new_page()
    page.goto(server.url)
    page.get_by_label("User name").wait_for(timeout=30_000)
    loaded = (
        "n => performance.getEntriesByType('resource')"
        ".filter(e => /static\\/js\\/(PlotlyChart|DataFrame)\\./.test(e.name)).length === n"
    )
    page.wait_for_function(loaded, arg=2, timeout=60_000)
    # and Plotly has drawn one chart there (its SVG), where no one sees it or reaches it
    drawn = page.locator(".st-key-warm_chart .main-svg").first
    drawn.wait_for(state="attached", timeout=60_000)
    assert not drawn.is_visible()
    assert page.get_by_role("button", name="Sign in").is_visible()
    page.close()


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


def test_results_draws_one_view_at_a_time_and_its_heatmap_filters_the_cases(
    browser: Any, server: Server
) -> None:
    """Results opens on its per-tag view; another tab is drawn when chosen (only then); a tag
    chosen in the per-tag view is still chosen on coming back to it; a click on a heatmap
    cell opens that tag's cases."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "dana", "/results")
    settle(page, "4b · Results")
    heatmap = page.locator(".st-key-res_chart_tags .main-svg").first
    heatmap.wait_for(state="attached", timeout=30_000)
    assert page.locator(".st-key-res_chart_history").count() == 0
    counted = page.get_by_text(re.compile(r"^\d+ of \d+ cases, wrong answers first$"))
    every = counted.inner_text()
    page.get_by_role("combobox", name="Cases with tag").click()
    page.keyboard.type("leave")
    page.get_by_role("option").first.click()
    page.wait_for_function(
        "t => ![...document.querySelectorAll('p')].some(p => p.innerText === t)", arg=every
    )
    narrowed = counted.inner_text()
    assert narrowed.split(" of ")[0] != every.split(" of ")[0]
    settle(page, "4b · Results")
    page.get_by_role("tab", name="Over time").click()
    page.locator(".st-key-res_chart_history .main-svg").first.wait_for(timeout=30_000)
    settle(page, "4b · Results")
    assert page.locator(".st-key-res_chart_tags").count() == 0
    page.get_by_role("tab", name="Run versus run").click()
    page.get_by_role("heading", name="Flipped cases").wait_for(timeout=30_000)
    settle(page, "4b · Results")
    assert "view=Run+versus+run" in page.url or "view=Run%20versus%20run" in page.url
    page.get_by_role("tab", name="By tag").click()
    heatmap.wait_for(state="attached", timeout=30_000)
    settle(page, "4b · Results")
    assert counted.inner_text() == narrowed
    assert "leave" in page.locator(".st-key-res_tags").inner_text()
    # a click on a cell of the heatmap (its bottom row: another tag) opens that tag's cases
    cells = page.locator(".st-key-res_chart_tags .nsewdrag").first
    cells.scroll_into_view_if_needed()
    box = cells.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.97)
    page.wait_for_function(
        "t => ![...document.querySelectorAll('p')].some(p => p.innerText === t)", arg=narrowed
    )
    settle(page, "4b · Results")
    chosen = page.locator(".st-key-res_tags").inner_text().split("\n")[-1]
    assert chosen not in ("leave", "Cases with tag")
    assert counted.inner_text() != narrowed
    assert not page.locator('[data-testid="stException"]').all_inner_texts()
    page.close()


def test_dana_reads_whether_the_pilot_is_ready_from_home(browser: Any, server: Server) -> None:
    """Issue 10, done when: a viewer signed in as dana answers "is the pilot ready, and why
    not?" from Home without another click: the verdict of the run of record, the stage and
    what the next gate still needs are all on the first screen; no button pretends she can act."""
    from pilot.core.store import Store
    from pilot.readiness.status import home_truth

    with Store(server.db).read() as con:
        truth = home_truth(con)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    started = time.perf_counter()
    sign_in(page, server, "dana")
    settle(page, "Home")
    print(f"settle Home for dana after sign-in: {time.perf_counter() - started:.2f} s")
    wanted = [truth["verdict"], truth["stage_line"].split(":")[0], truth["next_gate"]]
    for text in wanted:
        found = page.get_by_text(text[:60], exact=False).first
        found.wait_for(timeout=30_000)
        box = found.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, f"below the fold: {text}"
    assert "Signed in as" in page.inner_text("body") and "viewer" in page.inner_text("body")
    assert page.get_by_role("button", name="Stop all system calls now").count() == 0
    assert page.get_by_role("button", name="Release the kill switch").count() == 0
    assert not page.locator('[data-testid="stException"]').all_inner_texts()
    page.close()
