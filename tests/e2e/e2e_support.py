"""A real `pilot app` server and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs it with apt-get")
        pytest.skip(f"{CHROMIUM} not installed (run `make test` to install it)")


class Server:
    def __init__(self, db: Path, port: int, proc: subprocess.Popen[bytes], log: Path):
        self.db, self.port, self.proc, self.log = db, port, proc, log
        self.url = f"http://127.0.0.1:{port}"


def start_server(db: Path, log: Path) -> Server:
    port = free_port()
    pilot = shutil.which("pilot", path=str(Path(sys.executable).parent)) or "pilot"
    handle = log.open("wb")
    proc = subprocess.Popen(
        [pilot, "--db", str(db), "app", "--port", str(port)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PILOT_DB": str(db)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pilot app exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                return Server(db, port, proc, log)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"pilot app did not start: {log.read_text()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def settle(page: Any, title: str, timeout: float = 30_000) -> None:
    """Wait until the page's script run has finished: the tab names the page (Streamlit sets
    it when the run reaches `st.navigation`), the app says the run is over and the heading is
    drawn. Streamlit's running indicator is no test: it appears only after a delay, so a page
    can look settled while its script runs on for seconds (and the next click interrupts it)."""
    page.wait_for_function("t => document.title === t", arg=title, timeout=timeout)
    page.locator(SCRIPT_DONE).wait_for(state="attached", timeout=timeout)
    page.locator("h1").first.wait_for(timeout=timeout)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
