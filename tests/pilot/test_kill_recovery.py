"""An answer received is committed promptly (issue 9, item 11; finding 14: after kill -9,
answers received up to ~0.8 s before the kill were lost and called again).

A real `pilot run` subprocess calls the local Messages API stub and is killed with SIGKILL at ten
random moments (each kill followed by `pilot run --resume`). The stub logs when each request
arrived and when its answer was written. After each kill, every answer written more than WINDOW
before the kill must be stored; in the end, calls made again are at most the calls in flight at
each kill plus the answers written in its last WINDOW.

The issue's target is 200 ms. The writer commits a wave when it is complete or 30 ms after its
first answer, and holds the file open across back-to-back commits (a commit is then a few ms of
CPU, not the 20-30 ms of opening and closing the file). The distribution of the ages of lost
answers is printed (pytest -s) and recorded in docs/benchmarks.md: the oldest was 0.16-0.22 s at
load 15-17 on this shared 2-core machine (0.37-0.75 s before issue #14), but 0.73 s at load 19
with a 10,000-case benchmark running beside it: a process that gets a tenth of a core turns
30 ms of work into 300 ms. WINDOW, the bound this test asserts, therefore stays a generous 1.0 s
so that it does not break on a loaded machine; it does not demonstrate the 200 ms target.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers import seeded_store, token_for, write_cases
from stub_messages_api import MessagesStub

from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 1.0  # seconds from answer written to answer committed (see the docstring)
N_CASES = 400
KILLS = 10


def case_of(body: dict) -> str:
    text = " ".join(
        block.get("text", "")
        for message in body["messages"]
        for block in (message["content"] if isinstance(message["content"], list) else [])
    )
    number = int(re.findall(r"#(\d+)", text)[-1])
    return f"c-{number:03d}"


def stored(store: Store) -> set[str]:
    with store.read() as con:
        return {r[0] for r in con.execute("SELECT case_id FROM results").fetchall()}


def test_kill_nine_loses_only_answers_of_the_last_200_ms(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", N_CASES), name="leave")
    rng = random.Random(9)
    with MessagesStub(latency=0.15) as stub:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ANTHROPIC_API_KEY": "sk-ant-test-kill",
            "ANTHROPIC_BASE_URL": stub.base_url,
            "PILOT_TOKEN": token_for(store.path, "priya") or "",
        }
        cli = [sys.executable, "-c", "from pilot.cli import main; main()", "--db", str(store.path)]
        start = [*cli, "--user", "priya", "run", "--goldenset", "leave", "--system", "anthropic"]
        start += ["--concurrency", "8", "--json"]
        run_id = None
        allowance = 0
        late = []  # (kill, case, seconds between its answer and the kill) for lost answers
        kills = 0
        ages: list[float] = []  # seconds between a lost answer and its kill
        while kills < KILLS:
            seen = len(stub.timings())
            command = start if run_id is None else [*cli, "--user", "priya", "run"]
            if run_id is not None:
                command += ["--resume", run_id, "--json"]
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            deadline = time.monotonic() + 120
            while len(stub.timings()) == seen and proc.poll() is None:
                assert time.monotonic() < deadline, "the run made no call in 120 s"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 1.0))
            if proc.poll() is not None:
                break  # finished before this kill: too few cases left
            killed_at = time.monotonic()
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            if run_id is None:
                with store.read() as con:
                    run_id = con.execute("SELECT run_id FROM runs").fetchone()[0]
            kept = stored(store)
            for request, received, answered in stub.timings()[seen:]:
                if request.path != "/v1/messages":
                    continue
                if received < killed_at and (answered is None or answered >= killed_at):
                    allowance += 1  # in flight at the kill
                elif answered is not None and answered < killed_at:
                    if case_of(request.body) not in kept:
                        ages.append(killed_at - answered)
                    if killed_at - answered <= WINDOW:
                        allowance += 1
                    elif case_of(request.body) not in kept:
                        late.append((kills, case_of(request.body), round(killed_at - answered, 3)))
        assert kills == KILLS, f"only {kills} kills: the run finished early"
        done = subprocess.run(
            [*cli, "--user", "priya", "run", "--resume", run_id, "--json"],
            env=env,
            capture_output=True,
            timeout=600,
        )
        assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
        calls = [
            case_of(r.body)
            for r, _, answered in stub.timings()
            if r.path == "/v1/messages" and isinstance(r.body, dict)
        ]
    ordered = sorted(ages)
    quantiles = {q: ordered[int(q * (len(ordered) - 1))] for q in (0.5, 0.9)} if ordered else {}
    print(
        f"lost answers: {len(ages)} over {kills} kills; age at the kill: median "
        f"{quantiles.get(0.5, 0):.3f}s, p90 {quantiles.get(0.9, 0):.3f}s, oldest "
        f"{max(ages, default=0):.3f}s; load {os.getloadavg()[0]:.1f}"
    )
    assert late == [], f"answers lost though received over {WINDOW}s before the kill: {late}"
    assert stored(store) == {f"c-{i:03d}" for i in range(N_CASES)}
    repeated = len(calls) - len(set(calls))
    assert repeated <= allowance, (repeated, allowance)
