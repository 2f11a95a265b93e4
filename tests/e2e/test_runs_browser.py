"""Browser: a lead starts an offline run from the Runs page and reads its results."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Server, start_server, stop_server
from helpers import PASSWORD, seeded_store, write_cases

from pilot.goldensets.versions import import_goldenset

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("runs")
    store = seeded_store(folder / "pilot.duckdb")
    import_goldenset(store, "priya", write_cases(folder / "cases.jsonl", 16), name="leave")
    srv = start_server(store.path, folder / "server.log")
    yield srv
    stop_server(srv)


def test_start_offline_run_and_see_results(browser: Any, server: Server, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server.url)
    page.get_by_label("User name").fill("priya")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="4 · Runs").click()
    page.get_by_role("button", name="Start run").click()
    page.get_by_text(re.compile(r"Started run-[0-9a-f]{12}")).wait_for(timeout=30_000)
    page.get_by_text("16/16").first.wait_for(state="attached", timeout=60_000)
    page.get_by_text(re.compile(r"^(Correct|Incorrect): ")).first.wait_for(timeout=60_000)
    # the cited sentence, highlighted in its source (drawn just after the verdict: wait for it)
    page.locator("mark").first.wait_for(timeout=30_000)
    assert page.locator("mark").count() >= 1
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)
    page.close()
