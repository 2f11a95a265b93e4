"""The runner against the offline system and the local Messages API stub (real SDK)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import seeded_copy, token_for, write_cases
from stub_messages_api import MessagesStub, question

from pilot.core import audit, killswitch
from pilot.core.models import SystemConfig, SystemOutput, SystemRequest
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.results.report import run_report
from pilot.runs.context import RunOptions
from pilot.runs.execute import execute_run
from pilot.runs.start import prepare_run, start_or_resume
from pilot.runs.systems.connection import Connection

KEY = "sk-ant-test-SECRET-KEY-0123456789"
CLAUDE = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
FAST = RunOptions(concurrency=8, backoff_base=0.01, backoff_cap=0.05)


@pytest.fixture
def pilot_db(tmp_path: Path) -> Store:
    store = seeded_copy(tmp_path / "pilot.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "cases.jsonl", 20), name="leave")
    return store


CASE_IDS = [f"c-{i:03d}" for i in range(20)]


def case_of(body: dict) -> str:
    """The case a Messages request asks about: write_cases numbers each question "#i"."""
    number = re.search(r"#(\d+)", question(body))
    assert number is not None, question(body)
    return f"c-{int(number.group(1)):03d}"


def results(store: Store, run_id: str) -> list[tuple]:
    with store.read() as con:
        return con.execute(
            "SELECT case_id, answer, abstained, citations, error, cached, attempts, correct "
            "FROM results WHERE run_id = ? ORDER BY case_id",
            [run_id],
        ).fetchall()


def test_offline_run_stores_every_result_with_valid_citations(pilot_db: Store) -> None:
    outcome = start_or_resume(pilot_db, "priya", goldenset="leave", config=SystemConfig())
    assert outcome.status == "finished" and outcome.done == 20 and outcome.errors == 0
    rows = results(pilot_db, outcome.run_id)
    assert len(rows) == 20
    with pilot_db.read() as con:
        from pilot.goldensets.versions import load_cases

        version = con.execute("SELECT goldenset_version FROM runs").fetchone()[0]
        cases = {c.id: c for c in load_cases(con, version)}
    checked = 0
    for case_id, _, _abstained, citations, *_ in rows:
        texts = {s.id: s.text for s in cases[case_id].sources}
        for c in json.loads(citations):
            assert texts[c["source_id"]][c["start"] : c["end"]] == c["cited_text"]
            checked += 1
    assert checked >= 15
    report = run_report(pilot_db, outcome.run_id)
    assert set(report["metrics"]) >= {
        "accuracy",
        "citation_precision",
        "citation_coverage",
        "evidence_recall",
        "abstain_rate_unanswerable",
        "false_abstain_rate",
    }
    manifest = report["manifest"]
    assert manifest["goldenset"]["version"] and manifest["system"]["version"]
    assert manifest["bar"]["exploratory"] is True and report["verdict"]["exploratory"]
    assert report["exit_code"] == 1  # exploratory runs never pass a CI gate


def test_claude_citations_retries_and_errors(pilot_db: Store) -> None:
    with MessagesStub() as stub:
        stub.fail("rate_limit", times=2, retry_after=0.05)
        stub.fail("overloaded", times=1)
        stub.fail("server_error", times=1)
        options = RunOptions(concurrency=4, backoff_base=0.01, backoff_cap=0.1, max_attempts=6)
        outcome = start_or_resume(
            pilot_db,
            "priya",
            goldenset="leave",
            config=CLAUDE,
            options=options,
            connection=Connection(api_key=KEY, base_url=stub.base_url),
        )
        assert outcome.status == "finished"
        rows = results(pilot_db, outcome.run_id)
        assert len(rows) == 20 and all(r[4] is None for r in rows)
        assert sum(r[6] for r in rows) == 20 + 4  # four faults, each retried once
        assert len(stub.message_bodies()) == 24
        assert any(json.loads(r[3]) for r in rows)  # the stub's char_location citations


class Hangs:
    """A system that answers at once, except that the listed cases never answer on their
    first `hangs` attempts. Ordinary calls take no time at all, so `call_timeout` decides
    only the hanging ones, whatever the machine's load or the process's age (the SDK's own
    timeout is tested in test_systems_anthropic.py)."""

    def __init__(self, slow: set[str], hangs: int) -> None:
        self.slow, self.hangs = slow, hangs
        self.attempts: dict[str, int] = {}

    async def answer(self, request: SystemRequest) -> SystemOutput:
        import asyncio

        n = self.attempts[request.case_id] = self.attempts.get(request.case_id, 0) + 1
        if request.case_id in self.slow and n <= self.hangs:
            await asyncio.Event().wait()  # never set: only the timeout ends this call
        return SystemOutput(answer="25 days")


@pytest.mark.parametrize(("hangs", "error"), [(1, None), (2, "gave up after 2 attempts")])
def test_a_call_that_hangs_is_timed_out_and_retried(
    pilot_db: Store, hangs: int, error: str | None
) -> None:
    system = Hangs({"c-003", "c-011"}, hangs)
    run_id = prepare_run(pilot_db, "priya", goldenset="leave", config=SystemConfig())
    options = RunOptions(concurrency=4, backoff_base=0.01, call_timeout=1, max_attempts=2)
    outcome = execute_run(pilot_db, "priya", run_id, options=options, system=system)
    # Two cases given up on are 10% infrastructure errors, over the default 2%: inconclusive.
    assert outcome.status == ("finished" if error is None else "inconclusive")
    assert outcome.done == 20
    rows = {r[0]: r for r in results(pilot_db, run_id)}
    assert {c: r[6] for c, r in rows.items() if r[6] != 1} == {"c-003": 2, "c-011": 2}
    assert system.attempts == {c: r[6] for c, r in rows.items()}
    for case in ("c-003", "c-011"):
        if error is None:
            assert rows[case][4] is None and rows[case][1] == "25 days"
        else:
            assert rows[case][4] == f"{error}: timed out" and rows[case][1] is None
    assert sum(r[4] is not None for r in rows.values()) == (0 if error is None else 2)


def test_permanent_failures_are_recorded_not_dropped(pilot_db: Store) -> None:
    with MessagesStub() as stub:
        stub.fail("rate_limit", times=200, retry_after=0.01)
        options = RunOptions(concurrency=4, backoff_base=0.001, backoff_cap=0.01, max_attempts=3)
        outcome = start_or_resume(
            pilot_db,
            "priya",
            goldenset="leave",
            config=CLAUDE,
            options=options,
            connection=Connection(api_key=KEY, base_url=stub.base_url),
        )
    rows = results(pilot_db, outcome.run_id)
    assert len(rows) == 20 and all(r[4] and "gave up after 3" in r[4] for r in rows)
    assert all(r[7] is False for r in rows)  # errors count as incorrect


def cache_entries(store: Store) -> list[tuple[str, str, str]]:
    with store.read() as con:
        return con.execute(
            "SELECT key, output, created_at FROM response_cache ORDER BY key"
        ).fetchall()


def test_cache_replay_and_no_cache(pilot_db: Store) -> None:
    with MessagesStub() as stub:
        kw = Connection(api_key=KEY, base_url=stub.base_url)
        first = start_or_resume(
            pilot_db, "priya", goldenset="leave", config=CLAUDE, options=FAST, connection=kw
        )
        assert len(stub.message_bodies()) == 20
        again = start_or_resume(
            pilot_db, "priya", goldenset="leave", config=CLAUDE, options=FAST, connection=kw
        )
        assert len(stub.message_bodies()) == 20 and again.cached == 20
        replay = start_or_resume(
            pilot_db, "priya", replay_id=first.run_id, options=RunOptions(cache_only=True)
        )
        cache_before = cache_entries(pilot_db)
        fresh = start_or_resume(
            pilot_db,
            "priya",
            goldenset="leave",
            config=CLAUDE,
            options=RunOptions(concurrency=8, use_cache=False),
            connection=kw,
        )
        assert len(stub.message_bodies()) == 40 and fresh.cached == 0
    # a run that does not read the cache keeps the entries it found (no second entry per key)
    assert len(cache_before) == 20 and cache_entries(pilot_db) == cache_before
    strip = lambda rows: [(r[0], r[1], r[2], r[3], r[4], r[7]) for r in rows]  # noqa: E731
    assert strip(results(pilot_db, replay.run_id)) == strip(results(pilot_db, first.run_id))
    assert all(r[5] for r in results(pilot_db, replay.run_id))


def test_kill_switch_stops_a_running_run(pilot_db: Store) -> None:
    """Engaged while the fourth call is at the API (one call at a time, so no other call is
    between its check and its request): no fifth request is sent."""
    from stub_messages_api import default_responder

    def answer_then_kill(body: dict) -> list[dict]:
        if len(stub.message_bodies()) == 4:
            killswitch.engage(pilot_db, "priya", "wrong answers in production")
        return default_responder(body)

    with MessagesStub(responder=answer_then_kill) as stub:
        o = start_or_resume(
            pilot_db,
            "priya",
            goldenset="leave",
            config=CLAUDE,
            options=RunOptions(concurrency=1),
            connection=Connection(api_key=KEY, base_url=stub.base_url),
        )
        assert len(stub.message_bodies()) == 4
    assert o.status == "halted" and o.done == 4
    with pilot_db.read() as con:
        assert con.execute("SELECT status FROM runs").fetchone()[0] == "halted"
    stored = len(results(pilot_db, o.run_id))
    assert stored == 4  # the call in flight at the kill is kept
    killswitch.release(pilot_db, "priya")
    with MessagesStub() as stub:
        resumed = start_or_resume(
            pilot_db,
            "priya",
            resume_id=o.run_id,
            connection=Connection(api_key=KEY, base_url=stub.base_url),
        )
        assert resumed.status == "finished"
        assert len(stub.message_bodies()) == 20 - stored
    with pilot_db.read() as con:
        actions = [e.action for e in audit.events(con)]
    assert actions.index("run.finish") < actions.index("run.resume") < actions.index("run.halted")
    assert len(results(pilot_db, o.run_id)) == 20


def test_resume_after_kill_9_calls_no_finished_case_again(pilot_db: Store, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": KEY,
        "PILOT_DB": str(pilot_db.path),
        "PILOT_TOKEN": token_for(pilot_db.path, "priya") or "",
    }
    pilot = str(Path(sys.executable).parent / "pilot")
    with MessagesStub(latency=0.5) as stub:
        env["ANTHROPIC_BASE_URL"] = stub.base_url
        proc = subprocess.Popen(
            [pilot, "run", "--goldenset", "leave", "--system", "anthropic", "--concurrency", "2"],
            env=env,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120  # a bound for a loaded machine, not a measure
        done = 0
        while time.monotonic() < deadline and done < 4:
            time.sleep(0.2)
            with pilot_db.read() as con:
                done = con.execute("SELECT count(*) FROM results").fetchone()[0]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with pilot_db.read() as con:
            run_id, status = con.execute("SELECT run_id, status FROM runs").fetchone()
            finished = {r[0] for r in con.execute("SELECT case_id FROM results").fetchall()}
        assert status == "running" and 4 <= len(finished) < 20
        before = len(stub.message_bodies())
        code = subprocess.run(
            [pilot, "run", "--resume", run_id, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert code.returncode in (0, 1), code.stderr
        # the resume asks exactly the cases with no stored result, each once: none answered
        # before the crash again (calls in flight or not yet committed at the kill are asked
        # again; how many those were depends on timing, so it is not counted here)
        asked = [case_of(body) for body in stub.message_bodies()[before:]]
        assert sorted(asked) == sorted(set(CASE_IDS) - finished)
    assert len(results(pilot_db, run_id)) == 20
    report = json.loads(code.stdout)
    assert report["status"] == "finished" and report["run_id"] == run_id


def test_api_key_is_stored_and_logged_nowhere(pilot_db: Store, tmp_path: Path) -> None:
    env = {**os.environ, "ANTHROPIC_API_KEY": KEY}
    env["PILOT_TOKEN"] = token_for(pilot_db.path, "priya") or ""
    pilot = str(Path(sys.executable).parent / "pilot")
    with MessagesStub() as stub:
        stub.fail("auth", times=1)
        env["ANTHROPIC_BASE_URL"] = stub.base_url
        done = subprocess.run(
            [
                pilot,
                "--db",
                str(pilot_db.path),
                "--user",
                "priya",
                "run",
                "--goldenset",
                "leave",
                "--system",
                "anthropic",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert KEY not in done.stdout and KEY not in done.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_only_allowlisted_redacted_content_leaves(pilot_db: Store) -> None:
    from pilot.define.workflow import DataBoundary, Workflow, save_workflow

    boundary = DataBoundary(allowed_fields=("question", "sources"), restricted_fields=("salary",))
    save_workflow(
        pilot_db,
        "priya",
        Workflow(name="Leave questions", process_owner="Omar", accountable_lead="Priya"),
        boundary,
    )
    with MessagesStub() as stub:
        outcome = start_or_resume(
            pilot_db,
            "priya",
            goldenset="leave",
            config=CLAUDE,
            options=FAST,
            connection=Connection(api_key=KEY, base_url=stub.base_url),
        )
        bodies = [r.raw_body for r in stub.requests if r.path == "/v1/messages"]
    assert len(bodies) == 20
    for raw in bodies:
        for secret in (
            "jo.bloggs@example.com",
            "hr@northwind.example",
            "07700 900456",
            "07700 900123",
            "expected_answer",
            "unanswerable",
            "evidence",
        ):
            assert secret not in raw, secret
        body = json.loads(raw)
        assert set(body) <= {"model", "max_tokens", "system", "messages", "temperature"}
    # citations were mapped back to the original (unredacted) source text
    with pilot_db.read() as con:
        from pilot.goldensets.versions import load_cases

        version = con.execute("SELECT goldenset_version FROM runs").fetchone()[0]
        cases = {c.id: c for c in load_cases(con, version)}
    for row in results(pilot_db, outcome.run_id):
        text = cases[row[0]].sources[0].text
        for c in json.loads(row[3]):
            assert text[c["start"] : c["end"]] == c["cited_text"]


LOCK_HOLDER = """
import sys, time, duckdb
while True:  # the runner holds the file between its commits: wait for a gap
    try:
        con = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:
        time.sleep(0.005)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_busy_file_mid_run_loses_no_result(pilot_db: Store) -> None:
    """Another process holds the database while results are being committed: the writer keeps
    the rows and retries, calls pause meanwhile, and every case is stored exactly once."""
    impatient = Store(pilot_db.path, lock_timeout=0.3)
    with MessagesStub(latency=0.1) as stub:
        outcome: dict = {}
        thread = threading.Thread(
            target=lambda: outcome.setdefault(
                "o",
                start_or_resume(
                    impatient,
                    "priya",
                    goldenset="leave",
                    config=CLAUDE,
                    options=RunOptions(concurrency=2),
                    connection=Connection(api_key=KEY, base_url=stub.base_url),
                ),
            )
        )
        thread.start()
        while len(stub.message_bodies()) < 4:
            time.sleep(0.01)
        holder = subprocess.Popen(
            [sys.executable, "-c", LOCK_HOLDER, str(pilot_db.path), "2"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        holder.wait()
        thread.join(60)
        calls = len(stub.message_bodies())
    assert outcome["o"].status == "finished"
    assert len(results(pilot_db, outcome["o"].run_id)) == 20
    assert calls == 20  # nothing lost, so nothing called twice
