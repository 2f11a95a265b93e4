"""Browser: marco grades three items with the keyboard; priya's dashboard shows them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Server, settle, start_server, stop_server
from helpers import PASSWORD, seeded_store
from review_data import seed_sampled

from pilot.core.store import Store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("review-app")
    store = seeded_store(folder / "pilot.duckdb")
    seed_sampled(store, folder)
    srv = start_server(folder / "pilot.duckdb", folder / "server.log")
    yield srv
    stop_server(srv)


def sign_in(page: Any, server: Server, name: str) -> None:
    page.goto(server.url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_evaluator_grades_with_keys_and_lead_sees_it(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    marco = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(marco, server, "marco")
    marco.get_by_role("link", name="5 · Review: grade").click()
    marco.get_by_text("Your queue: 20 items, 0 done").wait_for(timeout=30_000)
    assert marco.get_by_text("claude-secret-model-x").count() == 0
    for done, key in enumerate(["1", "3", "2"], start=1):
        # a button's shortcut works once the button is drawn: the queue's count is drawn
        # before the buttons, so wait for the page's script to finish (a loaded machine lost
        # the first key press)
        settle(marco, "5 · Review: grade")
        if key == "3":
            marco.keyboard.press("K")  # severity: critical
            marco.wait_for_timeout(800)
            settle(marco, "5 · Review: grade")
        marco.evaluate("document.activeElement && document.activeElement.blur()")
        marco.keyboard.press(key)
        marco.get_by_text(f"Your queue: 20 items, {done} done").wait_for(timeout=30_000)
    # marco changes his newest grade (partly correct) to incorrect, minor, with a reason
    marco.get_by_text("Change one of your earlier grades (3)").click()

    def radio(label: str) -> Any:
        return marco.locator('[data-testid="stRadio"]').filter(has_text=label)

    radio("New verdict").get_by_text("Incorrect", exact=True).click()
    marco.wait_for_timeout(800)
    radio("New severity").get_by_text("minor", exact=True).click()
    marco.wait_for_timeout(800)
    reason = marco.get_by_label("Reason for the change (required)")
    reason.fill("the policy says 23 days")
    reason.press("Tab")
    marco.wait_for_timeout(800)
    marco.get_by_role("button", name="Save the change").click()
    marco.get_by_text("Changed ").wait_for(timeout=30_000)
    marco.get_by_text("Your queue: 20 items, 3 done").wait_for(timeout=30_000)
    marco.screenshot(path=str(tmp_path / "grading.png"), full_page=True)
    marco.close()

    with Store(server.db).read() as con:
        rows = con.execute(
            "SELECT verdict, severity FROM current_grades WHERE evaluator = 'marco' "
            "ORDER BY graded_at"
        ).fetchall()
        changes = con.execute(
            "SELECT revision, verdict, reason FROM grades WHERE evaluator = 'marco' AND revision > 1"
        ).fetchall()
    assert rows == [("correct", "none"), ("incorrect", "critical"), ("incorrect", "minor")]
    assert changes == [(2, "incorrect", "the policy says 23 days")]

    priya = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(priya, server, "priya")
    priya.get_by_role("link", name="5b · Review dashboard").click()
    priya.get_by_text("Graded outputs").wait_for(timeout=30_000)
    metric = priya.locator('[data-testid="stMetric"]').filter(has_text="Graded outputs")
    assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == "3"
    critical = priya.locator('[data-testid="stMetric"]').filter(has_text="Critical errors")
    assert critical.locator('[data-testid="stMetricValue"]').inner_text().strip() == "1"
    priya.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    priya.close()
