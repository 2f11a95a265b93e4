"""Browser: a lead uploads a broken golden set, reads which line is wrong, then imports a good one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Server, start_server, stop_server
from helpers import PASSWORD, seeded_store

from pilot.core.store import Store
from pilot.goldensets import versions as gs

pytestmark = pytest.mark.browser


def case(i: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"c-{i:03d}",
        "question": f"How many days of leave do grade {i} staff get?",
        "sources": [
            {
                "id": "policy-1",
                "title": "Leave policy",
                "text": f"Grade {i} staff get {20 + i} days of leave. Ask your manager first.",
            }
        ],
        "expected_answer": f"{20 + i} days",
        "answerable": True,
        "evidence": [f"Grade {i} staff get {20 + i} days of leave."],
        "tags": ["numeric"],
        "consequential": False,
    }
    record.update(changes)
    return record


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("app")
    seeded_store(folder / "pilot.duckdb")
    srv = start_server(folder / "pilot.duckdb", folder / "server.log")
    yield srv
    stop_server(srv)


def test_lead_uploads_broken_then_good_golden_set(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(jsonl([case(1), case(2), case(3, evidence=["Grade 3 staff get 99 days."])]))
    good = tmp_path / "benefits.jsonl"
    good.write_bytes(jsonl([case(1), case(2), case(3)]))

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(server.url)
    page.get_by_label("User name").fill("priya")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("The pilot, step by step").wait_for(timeout=30_000)
    page.get_by_role("link", name="3 · Golden set").click()
    page.get_by_text("Import a golden set").wait_for(timeout=30_000)

    page.locator("input[type=file]").set_input_files(str(broken))
    page.get_by_text("Ready to import broken.jsonl").wait_for(timeout=30_000)  # uploaded
    page.get_by_label("Golden set name").fill("benefits")
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("1 problem(s) in broken.jsonl: nothing was imported").wait_for(timeout=30_000)
    report = page.locator("table").first
    assert "evidence[0]" in report.inner_text()
    assert "not found verbatim in any source of case c-003" in report.inner_text()
    assert report.locator("td", has_text="3").first.is_visible()  # the line number
    page.screenshot(path=str(tmp_path / "goldenset-invalid.png"), full_page=True)
    with Store(server.db).read() as con:
        assert gs.list_goldensets(con) == []

    page.locator("input[type=file]").set_input_files(str(good))
    page.get_by_text("Ready to import benefits.jsonl").wait_for(timeout=30_000)  # uploaded
    page.get_by_role("button", name="Import", exact=True).click()
    success = page.get_by_text("Imported benefits: version")
    success.wait_for(timeout=30_000)
    with Store(server.db).read() as con:
        version = gs.latest_version(con, "benefits")
    assert version and version[:16] in success.inner_text()
    page.get_by_text("not found verbatim").wait_for(state="detached", timeout=30_000)
    page.get_by_text("Version history").wait_for(timeout=30_000)
    mark = page.locator("mark").first  # the case view highlights the evidence in its source
    mark.wait_for(timeout=30_000)
    assert mark.inner_text() == "Grade 1 staff get 21 days of leave."
    page.wait_for_timeout(500)
    page.screenshot(path=str(tmp_path / "goldenset-imported.png"), full_page=True)
    assert (tmp_path / "goldenset-imported.png").stat().st_size > 10_000
    page.close()
