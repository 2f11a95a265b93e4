"""`pilot kill` stops a `pilot run` in flight (issue 12, item 8).

A real `pilot run` process calls the local Messages API stub (the real anthropic SDK, 0.3 s per
answer, four calls at a time). Once it is well under way, a lead types `pilot kill`. The run
exits 3 (halted by the kill switch), is recorded as halted, and the stub's log shows no request
received after `pilot kill` returned: only the calls already in flight were answered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store, token_for, write_cases
from stub_messages_api import MessagesStub

from pilot.goldensets.versions import import_goldenset

ROOT = Path(__file__).resolve().parents[2]
N_CASES = 200
CONCURRENCY = 4


def test_pilot_kill_stops_a_run_in_flight(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", N_CASES), name="leave")
    with MessagesStub(latency=0.3) as stub:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ANTHROPIC_API_KEY": "sk-ant-test-kill-switch",
            "ANTHROPIC_BASE_URL": stub.base_url,
            "PILOT_TOKEN": token_for(store.path, "priya") or "",
        }
        command = [sys.executable, "-c", "from pilot.cli import main; main()",
                   "--db", str(store.path), "--user", "priya", "run", "--goldenset", "leave",
                   "--system", "anthropic", "--concurrency", str(CONCURRENCY), "--json"]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(stub.timings()) < 3 * CONCURRENCY:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the run made too few calls in 120 s"
            time.sleep(0.01)
        kill_started = time.monotonic()
        code, _, err = run_cli(capsys, "--db", str(store.path), "--user", "priya", "kill",
                               "--reason", "wrong answers in production")  # fmt: skip
        killed = time.monotonic()
        assert code == 0, err
        out, stderr = proc.communicate(timeout=120)
        calls = [(r, received, answered) for r, received, answered in stub.timings()
                 if r.path == "/v1/messages"]  # fmt: skip
    assert proc.returncode == 3, stderr.decode()[-2000:]
    assert "kill switch" in stderr.decode().lower()
    after = [received - killed for _, received, _ in calls if received > killed]
    assert after == [], f"{len(after)} request(s) made after `pilot kill` returned"
    # the run was mid-flight when the lead typed the command, and when it returned at most
    # the semaphore's worth of calls were still out
    busy = [c for c in calls if c[1] < kill_started and (c[2] is None or c[2] > kill_started)]
    out_at_kill = [c for c in calls if c[1] <= killed and (c[2] is None or c[2] > killed)]
    assert busy and len(out_at_kill) <= CONCURRENCY
    assert len(calls) < N_CASES // 2  # it stopped early, not at the end
    with store.read() as con:
        status, done = con.execute(
            "SELECT status, (SELECT count(*) FROM results) FROM runs"
        ).fetchone()
    assert status == "halted"
    assert done <= len(calls)
