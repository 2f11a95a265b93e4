"""The report in Debian's chromium: nothing leaves the page, the charts draw, hostile text shows
as text and runs nothing; the PDF's pages render (pdftoppm) and hold the summary (pdftotext)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from evidence_data import Pilot

from pilot.core.store import Store
from pilot.define.workflow import current_workflow, save_workflow

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--disable-background-networking", "--disable-component-update"]  # fmt: skip
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
OUTPUT = '<script>window.owned = 1</script><a href="https://attacker.example/">claim</a>'


def _need(*tools: str) -> None:
    missing = [t for t in tools if not (Path(t).exists() if t.startswith("/") else shutil.which(t))]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing: `make chromium` installs them")
        pytest.skip(f"{', '.join(missing)} not installed (`make chromium`)")


def test_report_opens_offline_and_shows_script_as_text(pilot_copy: Pilot, tmp_path: Path) -> None:
    _need(CHROMIUM)
    from playwright.sync_api import sync_playwright

    store = Store(pilot_copy.db)
    with store.read() as con:
        wf = current_workflow(con)
    save_workflow(store, "priya", wf.workflow.model_copy(update={"name": HOSTILE}), wf.boundary)
    con = duckdb.connect(str(pilot_copy.db))  # a model's output graded critical, now hostile
    con.execute(
        "UPDATE live_outputs SET output = ? WHERE id = (SELECT min(output_id) FROM grades "
        "WHERE severity = 'critical')",
        [OUTPUT],
    )
    con.close()
    out = tmp_path / "evidence.html"
    assert pilot_copy.run("priya", "report", "--out", str(out)).returncode == 0
    url = out.as_uri()
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.route("**/*", lambda r: (requests.append(r.request.url),
                                      r.continue_() if r.request.url == url else r.abort()))  # fmt: skip
        page.goto(url)
        page.wait_for_selector("body[data-charts-ready='1']", timeout=60_000)
        summary = page.locator("#summary")
        assert "is it ready?" in summary.inner_text()
        assert HOSTILE in summary.inner_text()  # the workflow's name, shown as text
        assert page.evaluate("window.pwned") is None  # and nothing in it ran
        assert page.locator("#summary img").count() == 0
        assert OUTPUT in page.locator("#live").inner_text()  # the output, as text
        assert page.evaluate("window.owned") is None and page.locator("#live a").count() == 0
        assert page.locator(".chart svg.main-svg").count() >= 2  # Plotly drew
        summary.screenshot(path=str(tmp_path / "summary.png"))
        browser.close()
    assert requests == [url], requests  # nothing but the file itself
    assert (tmp_path / "summary.png").stat().st_size > 10_000


def test_pdf_pages_render_and_hold_the_summary(demo_pilot: Pilot, tmp_path: Path) -> None:
    _need(CHROMIUM, "pdftoppm", "pdftotext")
    out = tmp_path / "evidence.pdf"
    made = demo_pilot.run("priya", "report", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert out.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3 and all(p.stat().st_size > 2_000 for p in pages)
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(out), "-"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "Evidence report: is it ready?" in first
    assert "NOT READY for stage 1 (Draft)" in first and "Why" in first
    everything = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                check=True).stdout  # fmt: skip
    assert "Known limitations" in everything and "How to check this report" in everything
