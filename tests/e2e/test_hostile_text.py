"""Browser: hostile text from data stays inert and nothing leaves the app's origin (finding 7).

A golden set whose questions, titles, texts, tags and name carry Markdown links and images,
HTML (`<script>`, `<img>`, Plotly's `<a href>`), maths and autolinks; a callable system whose
answers and errors carry the same; a kill-switch reason that does too. Every page a lead can
open is visited in a real browser: no request goes anywhere but the app's own origin, and no
link or image in the page comes from the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import Server, start_server, stop_server
from fake_systems import HOSTILE_MARKUP
from helpers import PASSWORD, seeded_store

from pilot.core import killswitch
from pilot.core.models import SystemConfig
from pilot.goldensets.versions import import_goldenset
from pilot.runs.start import start_or_resume
from pilot.runs.systems.registered import register_system

pytestmark = pytest.mark.browser

TAG = '<a href="http://attacker.example/tag">tag</a>'
LINKS_FROM_DATA = """() => [...document.querySelectorAll('*')].flatMap(e =>
    [...e.attributes].filter(a => /(^|:)(href|src|srcset|action|formaction)$/i.test(a.name))
      .map(a => a.value)).filter(v => v.includes('attacker'))"""
"""Every link, image, script or form target (SVG `xlink:href` too) that points at the data's
host."""
PAGES = [
    "Home",
    "1 · Workflow",
    "2 · Acceptance bar",
    "3 · Golden set",
    "4 · Runs",
    "4b · Results",
    "5 · Review",
    "6 · Readiness",
    "7 · Evidence",
    "Audit",
]


def _hostile_cases(path: Path) -> Path:
    lines = []
    for i in range(12):
        policy = f"Employees receive 25 days of annual leave. {HOSTILE_MARKUP}"
        lines.append(
            json.dumps(
                {
                    "id": f"h-{i:03d}",
                    "question": f"How many days? {HOSTILE_MARKUP}",
                    "sources": [
                        {
                            "id": f"src-{i}",
                            "title": f"[t](http://attacker.example/t{i})",
                            "text": policy,
                        }
                    ],
                    "expected_answer": "25 days",
                    "answerable": True,
                    "evidence": ["Employees receive 25 days of annual leave."],
                    "tags": [TAG, "$x$", "![i](http://attacker.example/tag.png)"],
                    "consequential": False,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hostile")
    store = seeded_store(folder / "pilot.duckdb")
    import_goldenset(store, "priya", _hostile_cases(folder / "h.jsonl"), name="hostile")
    register_system(store, "ada", "fake_systems:hostile", "evil system")
    start_or_resume(
        store,
        "priya",
        goldenset="hostile",
        config=SystemConfig(kind="callable", model="hostile", target="fake_systems:hostile"),
    )
    killswitch.engage(store, "priya", f"drill {HOSTILE_MARKUP}")
    srv = start_server(store.path, folder / "server.log")
    yield srv
    stop_server(srv)


def test_hostile_text_is_inert_and_nothing_leaves_the_origin(
    server: Server, browser: Any, tmp_path: Path
) -> None:
    """`server` first: it runs the hostile system (asyncio) before Playwright's loop starts."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server.url)
    page.get_by_label("User name").wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")
    page.get_by_label("User name").fill("priya")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Kill switch ENGAGED").first.wait_for(timeout=30_000)
    visited = []
    for title in PAGES:
        page.get_by_role("link", name=title).click()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)  # let fragments and charts draw
        visited.append(title)
        from_data = page.evaluate(LINKS_FROM_DATA)
        assert from_data == [], (title, from_data)
        if title == "4b · Results":  # the tag is on the heatmap's axis, drawn as text
            tick = page.locator("svg text", has_text="attacker.example/tag")
            tick.first.wait_for(state="attached", timeout=30_000)
            for view in ("Over time", "Citations, abstention and service levels"):
                page.get_by_role("tab", name=view).click()  # each view is drawn when opened
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(1500)
                assert page.evaluate(LINKS_FROM_DATA) == [], view
                assert page.locator(".katex").count() == 0, view
            page.get_by_role("tab", name="Run versus run").click()
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
        assert page.locator("script", has_text="attacker.example").count() == 0, title
        assert page.locator(".katex").count() == 0, title  # no maths drawn from data
        if title == "7 · Evidence":  # the preview is the report itself, drawn in the app
            page.get_by_role("button", name="Preview").click()
            preview = page.frame_locator("iframe").last
            preview.locator("body[data-charts-ready='1']").wait_for(timeout=120_000)
            assert "is it ready?" in preview.locator("#summary").inner_text()
            assert preview.locator("a[href*='attacker'], img[src*='attacker']").count() == 0
        page.screenshot(path=str(tmp_path / f"{len(visited)}.png"), full_page=True)
    # the hostile text is shown, as text
    assert "attacker.example" in page.content()
    outside = sorted(
        {u for u in requests if not u.startswith((server.url, "data:", "blob:", "about:"))}
    )
    assert outside == [], outside
    page.close()
