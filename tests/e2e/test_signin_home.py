"""Browser: sign in to a real `pilot app`, see the Home checklist, screenshot it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Server, start_server, stop_server
from helpers import PASSWORD, seeded_store, token_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("app")
    seeded_store(folder / "pilot.duckdb")
    srv = start_server(folder / "pilot.duckdb", folder / "server.log")
    yield srv
    stop_server(srv)


def sign_in(page: Any, server: Server, name: str) -> None:
    page.goto(server.url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_shows_home_checklist(browser: Any, server: Server, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, "priya")
    page.get_by_text("The pilot, step by step").wait_for(timeout=30_000)
    page.get_by_text("1. Define the workflow and data boundary").wait_for(timeout=30_000)
    page.get_by_text("Signed in as").wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    assert (tmp_path / "home.png").stat().st_size > 10_000
    page.close()


def test_cli_write_while_app_serves_same_file(browser: Any, server: Server) -> None:
    page = browser.new_page()
    sign_in(page, server, "ada")
    page.get_by_text("The pilot, step by step").wait_for(timeout=30_000)
    pilot = str(Path(sys.executable).parent / "pilot")
    env = {**os.environ, "PILOT_TOKEN": token_for(server.db, "ada") or ""}
    done = subprocess.run(
        [pilot, "--db", str(server.db), "--user", "ada", "user", "add", "omar", "--role", "lead"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    page.get_by_role("link", name="Admin").click()
    page.get_by_text("omar", exact=True).first.wait_for(state="attached", timeout=30_000)
    page.close()
