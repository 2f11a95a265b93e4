"""Browser: a lead promotes the stage on the Readiness page of a real `pilot app`, gate met."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from e2e_support import start_server, stop_server
from helpers import PASSWORD, run_cli, seeded_store, write_cases

from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.readiness.stages import current_stage

pytestmark = pytest.mark.browser


def test_lead_promotes_with_the_gate_met(
    browser: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seeded_store(tmp_path / "pilot.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 40), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.8, judged_on="point"),),
        min_cases=20, max_critical_errors=0, when_unsure="abstain and hand over to HR",
    )  # fmt: skip
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    done: list[tuple[int, str, str]] = []
    argv = ("--db", str(store.path), "--user", "priya", "run", "--goldenset", "leave",
            "--system", "fake_systems:good")  # fmt: skip
    # the browser's event loop runs in this thread; the run's asyncio.run needs its own
    worker = threading.Thread(target=lambda: done.append(run_cli(capsys, *argv)))
    worker.start()
    worker.join(timeout=300)
    assert done and done[0][0] == 0, done
    server = start_server(store.path, tmp_path / "server.log")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(server.url)
        page.get_by_label("User name").fill("priya")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Is it ready?").wait_for(timeout=30_000)
        page.get_by_role("link", name="Readiness").click()
        page.get_by_text("Stage 0 · Evaluation").first.wait_for(timeout=30_000)
        page.get_by_label("Why promote?").fill("the golden set passes the signed bar")
        page.get_by_role("button", name="Promote one stage").click()
        page.get_by_text("Stage 1 · Draft").first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "readiness.png"), full_page=True)
        page.close()
    finally:
        stop_server(server)
    with store.read() as con:
        assert current_stage(con) == 1
