"""Browser: a session survives a reload and a shared link, and sign-out ends it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import Server, start_server, stop_server
from helpers import PASSWORD, seeded_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("sessions")
    seeded_store(folder / "pilot.duckdb")
    srv = start_server(folder / "pilot.duckdb", folder / "server.log")
    yield srv
    stop_server(srv)


def fill_sign_in(page: Any, name: str) -> None:
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def session_cookie(context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == "pilot_session"]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("no pilot_session cookie after sign-in")


def title(page: Any, text: str) -> None:
    page.get_by_role("heading", name=text, exact=True).first.wait_for(timeout=30_000)


def test_reload_and_shared_link_keep_the_session(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url)
    fill_sign_in(page, "priya")
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.get_by_role("link", name="4b · Results", exact=True).click()
    title(page, "Results")
    page.reload()
    title(page, "Results")
    assert page.url.endswith("/results")
    assert page.get_by_label("User name").count() == 0
    # a link opened in another tab of the same browser
    other = context.new_page()
    other.goto(server.url + "/runs?from=link")
    title(other, "Runs")
    assert other.get_by_label("User name").count() == 0
    # sign-out ends the session for every tab: a reload asks to sign in again
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("User name").wait_for(timeout=30_000)
    other.reload()
    other.get_by_label("User name").wait_for(timeout=30_000)
    context.close()


def test_shared_link_lands_on_its_page_after_sign_in(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/results?from=link")
    page.get_by_label("User name").wait_for(timeout=30_000)
    assert page.get_by_text("Page not found").count() == 0
    fill_sign_in(page, "dana")
    title(page, "Results")
    assert "/results" in page.url and "from=link" in page.url
    context.close()
