"""One owner per run (issue 9, item 6; finding 9: two `pilot run --resume` of one run both ran,
every call made twice, two `run.finish`)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import seeded_store, token_for, write_cases

from pilot.core.errors import RunBusy
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.runs import lease
from pilot.runs.context import RunOptions
from pilot.runs.start import prepare_run

ROOT = Path(__file__).resolve().parents[2]


def new_run(tmp_path: Path, target: str = "fake_systems:good", n: int = 20) -> tuple[Store, str]:
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", n), name="leave")
    config = SystemConfig(kind="callable", model="fake", target=target)
    run_id = prepare_run(
        store, "priya", goldenset="leave", config=config, options=RunOptions(concurrency=4)
    )
    return store, run_id


def plant_owner(store: Store, run_id: str, host: str, pid: int, heartbeat: str) -> None:
    def body(con):  # type: ignore[no-untyped-def]
        con.execute(
            "INSERT INTO run_leases VALUES (?, 'other', ?, ?, 'ada', '2026-01-01T00:00:00.000Z', ?)",
            [run_id, host, pid, heartbeat],
        )

    store.write(body)


def events(store: Store, action: str) -> list[dict]:
    with store.read() as con:
        rows = con.execute(
            "SELECT payload FROM audit_events WHERE action = ? ORDER BY seq", [action]
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_a_live_owner_refuses_a_second_owner_by_name(tmp_path: Path) -> None:
    store, run_id = new_run(tmp_path)
    held = lease.acquire(store, "priya", run_id)
    try:
        with pytest.raises(RunBusy) as refused:
            lease.acquire(store, "priya", run_id)
        message = str(refused.value)
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message
        assert "priya" in message and "since 20" in message
    finally:
        held.release()
    lease.acquire(store, "priya", run_id).release()  # released: free again
    assert events(store, "run.lease_takeover") == []


def test_a_stale_lease_is_taken_over_and_audited(tmp_path: Path) -> None:
    store, run_id = new_run(tmp_path)
    plant_owner(store, run_id, "elsewhere", 4242, "2026-01-01T00:00:00.000Z")
    taken = lease.acquire(store, "priya", run_id, stale_after=30)
    taken.release()
    (event,) = events(store, "run.lease_takeover")
    assert event["previous_owner"]["host"] == "elsewhere"
    assert event["previous_owner"]["pid"] == 4242
    assert event["reason"] == "stale" and event["heartbeat_age_seconds"] > 30


def test_a_fresh_lease_of_another_host_is_not_taken_over(tmp_path: Path) -> None:
    store, run_id = new_run(tmp_path)
    from pilot.core import audit

    plant_owner(store, run_id, "elsewhere", 4242, audit.utc_now())
    with pytest.raises(RunBusy, match="pid 4242 on elsewhere"):
        lease.acquire(store, "priya", run_id, stale_after=600)


def test_a_lease_whose_process_is_gone_from_this_host_is_taken_over(tmp_path: Path) -> None:
    store, run_id = new_run(tmp_path)
    from pilot.core import audit

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    plant_owner(store, run_id, socket.gethostname(), dead.pid, audit.utc_now())
    lease.acquire(store, "priya", run_id, stale_after=600).release()
    (event,) = events(store, "run.lease_takeover")
    assert event["reason"] == "owner process is gone"


def test_the_heartbeat_refreshes_the_lease_and_notices_a_takeover(tmp_path: Path) -> None:
    store, run_id = new_run(tmp_path)
    held = lease.acquire(store, "priya", run_id, stale_after=0.6)  # a beat every 0.1 s
    try:
        with store.read() as con:
            first = lease.owner(con, run_id)
        deadline = time.monotonic() + 60
        while held.beats < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        with store.read() as con:
            later = lease.owner(con, run_id)
        assert first is not None and later is not None
        assert held.beats >= 2 and later.heartbeat_at > first.heartbeat_at

        store.write(lambda con: con.execute("DELETE FROM run_leases"))  # another took it
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost
    finally:
        held.release()


def test_two_concurrent_resumes_call_each_case_once(tmp_path: Path) -> None:
    """Two real `pilot run --resume` processes of one run, started together. The system logs
    every call to a file and answers only once the test opens a gate, so the first owner is
    mid-run, with every call in flight, whenever the second asks."""
    store, run_id = new_run(tmp_path, target="fake_systems:gated")
    calls, gate = tmp_path / "calls.log", tmp_path / "gate"
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}",
        "PILOT_TEST_CALL_LOG": str(calls),
        "PILOT_TEST_GATE": str(gate),
        "PILOT_TOKEN": token_for(store.path, "priya") or "",
    }
    command = [
        sys.executable,
        "-c",
        "from pilot.cli import main; main()",
        *("--db", str(store.path), "--user", "priya", "run", "--resume", run_id, "--json"),
    ]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 120
    while all(p.poll() is None for p in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    exited = [p for p in procs if p.poll() is not None]
    assert exited, "neither process was refused: both are executing the run"
    refused = exited[0]
    owner = next(p for p in procs if p is not refused)
    _, err = refused.communicate()
    assert refused.returncode == 2, err
    assert f"pid {owner.pid} on {socket.gethostname()}" in err.decode()
    assert owner.poll() is None  # still running, held at the gate

    gate.touch()
    out, err = owner.communicate(timeout=120)
    assert owner.returncode == 1, err  # finished; exploratory (no signed bar) exits 1
    assert json.loads(out)["status"] == "finished"
    called = calls.read_text().split()
    assert sorted(called) == [f"c-{i:03d}" for i in range(20)]  # each case once
    assert len(events(store, "run.finish")) == 1
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM run_leases").fetchone()[0] == 0
