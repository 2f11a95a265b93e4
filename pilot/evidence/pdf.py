"""The PDF: the same HTML printed by Debian's chromium through Playwright, after the charts are
drawn (they print as vector graphics). Every request other than the page itself is refused, so
printing cannot fetch anything either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pilot.core.errors import InputError

CHROMIUM = os.environ.get("PILOT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def to_pdf(html_text: str, timeout_ms: int = 60_000) -> bytes:
    """`html_text` printed to A4 PDF; refuses (exit 2) when chromium is not installed."""
    if not Path(CHROMIUM).exists():
        raise InputError(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium`) "
            "or set PILOT_CHROMIUM, or write the report as HTML (--out evidence.html)"
        )
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="pilot-report-") as tmp:
        page_file = Path(tmp) / "evidence.html"
        page_file.write_text(html_text, encoding="utf-8")
        url = page_file.as_uri()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 690, "height": 1000})  # A4 text width
                page.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
                page.goto(url, wait_until="load", timeout=timeout_ms)
                page.wait_for_selector("body[data-charts-ready='1']", timeout=timeout_ms)
                page.emulate_media(media="print")
                return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            finally:
                browser.close()
