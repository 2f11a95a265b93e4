"""Claude through the Message Batches API, against the stub's batch endpoints."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import anthropic
from helpers import seeded_copy, write_cases
from stub_messages_api import MessagesStub

from pilot.core import killswitch
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset, load_cases
from pilot.runs.batch import _submit, custom_id
from pilot.runs.context import RunOptions
from pilot.runs.edge import load_edge, payload_for
from pilot.runs.start import prepare_run, start_or_resume
from pilot.runs.systems.connection import Connection

CLAUDE = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
BATCH = RunOptions(batch=True, poll_interval=0.01)


def setup(tmp_path: Path) -> Store:
    store = seeded_copy(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    return store


def paths(stub: MessagesStub) -> list[str]:
    return [f"{r.method} {r.path}" for r in stub.requests]


def start_batch(store: Store, stub: MessagesStub) -> Any:
    """Priya starts a batch run of the leave golden set against the stub."""
    return start_or_resume(
        store,
        "priya",
        goldenset="leave",
        config=CLAUDE,
        options=BATCH,
        connection=Connection(api_key="k", base_url=stub.base_url),
    )


def test_batch_run_submits_once_and_stores_every_result(tmp_path: Path) -> None:
    store = setup(tmp_path)
    with MessagesStub() as stub:
        stub.batch_polls = 3
        stub.fail("server_error", times=1)  # one request of the batch errors
        outcome = start_batch(store, stub)
        seen = paths(stub)
    assert outcome.done == 12
    assert seen.count("POST /v1/messages/batches") == 1
    assert "POST /v1/messages" not in seen
    with store.read() as con:
        rows = con.execute("SELECT case_id, error, citations FROM results").fetchall()
        cases = {
            c.id: c
            for c in load_cases(
                con, con.execute("SELECT goldenset_version FROM runs").fetchone()[0]
            )
        }
    assert len(rows) == 12 and sum(1 for r in rows if r[1]) == 1
    # 1 errored request in 12 (8%) is over the default max_error_rate (2%): inconclusive
    assert outcome.status == "inconclusive"
    for case_id, _, citations in rows:
        text = cases[case_id].sources[0].text
        for c in json.loads(citations):
            assert text[c["start"] : c["end"]] == c["cited_text"]


def test_resume_polls_the_recorded_batch_instead_of_resubmitting(tmp_path: Path) -> None:
    store = setup(tmp_path)
    with MessagesStub() as stub:
        kw = Connection(api_key="k", base_url=stub.base_url)
        run_id = prepare_run(store, "priya", goldenset="leave", config=CLAUDE, options=BATCH)
        killswitch.engage(store, "priya", "stop after submitting")
        # simulate a crash right after submission: the batch is recorded, nothing else done
        with store.read() as con:
            cases = load_cases(con, con.execute("SELECT goldenset_version FROM runs").fetchone()[0])
            edge = load_edge(con)
        requests = [
            {
                "custom_id": custom_id(c.id),
                "params": payload_for(CLAUDE, edge.prepare(c, CLAUDE)[0]),
            }
            for c in cases
        ]

        async def submit() -> str:
            async with anthropic.AsyncAnthropic(
                max_retries=0, api_key=kw.key(), base_url=kw.base_url
            ) as client:
                return await _submit(store, run_id, client, requests, [c.id for c in cases])

        asyncio.run(submit())
        killswitch.release(store, "priya")
        outcome = start_or_resume(store, "priya", resume_id=run_id, connection=kw)
        seen = paths(stub)
    assert outcome.status == "finished" and outcome.done == 12
    assert seen.count("POST /v1/messages/batches") == 1


def test_kill_switch_cancels_the_batch(tmp_path: Path) -> None:
    store = setup(tmp_path)
    with MessagesStub() as stub:
        stub.batch_polls = 10_000
        kw = Connection(api_key="k", base_url=stub.base_url)
        result: dict = {}
        thread = threading.Thread(
            target=lambda: result.setdefault(
                "o",
                start_or_resume(
                    store,
                    "priya",
                    goldenset="leave",
                    config=CLAUDE,
                    options=BATCH,
                    connection=kw,
                ),
            )
        )
        thread.start()
        while not any(p.startswith("GET /v1/messages/batches/") for p in paths(stub)):
            time.sleep(0.01)
        killswitch.engage(store, "priya", "halt the batch")
        thread.join(30)
        seen = paths(stub)
        assert result["o"].status == "halted"
        assert any(p.endswith("/cancel") for p in seen)
        # resuming finds its batch cancelled: the cancelled requests go into a new batch
        killswitch.release(store, "priya")
        stub.batch_polls = 1
        done = start_or_resume(store, "priya", resume_id=result["o"].run_id, connection=kw)
        assert paths(stub).count("POST /v1/messages/batches") == 2
    assert done.status == "finished" and done.errors == 0
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM results WHERE error IS NULL").fetchone()[0] == 12


def submitted(stub: MessagesStub) -> list[list[str]]:
    """The custom ids of each batch submitted, in order."""
    return [
        [r["custom_id"] for r in json.loads(req.raw_body)["requests"]]
        for req in stub.requests
        if (req.method, req.path) == ("POST", "/v1/messages/batches")
    ]


def test_a_batch_run_submits_only_what_the_cache_cannot_answer(tmp_path: Path) -> None:
    store = setup(tmp_path)
    with MessagesStub() as stub:
        kw = Connection(api_key="k", base_url=stub.base_url)
        run = dict(goldenset="leave", config=CLAUDE, options=BATCH, connection=kw)
        first = start_or_resume(store, "priya", **run)
        assert first.cached == 0 and len(submitted(stub)) == 1
        again = start_or_resume(store, "priya", **run)  # every answer is in the cache
        assert (again.status, again.done, again.cached) == ("finished", 12, 12)
        assert len(submitted(stub)) == 1  # nothing submitted
        with store.read() as con:
            keys = con.execute(
                "SELECT case_id, request_hash FROM results WHERE run_id = ? ORDER BY case_id",
                [first.run_id],
            ).fetchall()
            cached = con.execute(
                "SELECT cached, attempts, latency_ms, error FROM results WHERE run_id = ?",
                [again.run_id],
            ).fetchall()
        assert set(cached) == {(True, 0, 0.0, None)}
        forgotten = [k for _, k in keys[:4]]
        store.write(
            lambda con: con.execute(
                "DELETE FROM response_cache WHERE key IN (SELECT unnest(?::VARCHAR[]))",
                [forgotten],
            )
        )
        third = start_or_resume(store, "priya", **run)
        assert third.cached == 8 and third.done == 12
        assert submitted(stub)[-1] == [custom_id(c) for c, _ in keys[:4]]
        # a replay answers from the cache and records the rest as not in it, submitting nothing
        store.write(
            lambda con: con.execute(
                "DELETE FROM response_cache WHERE key IN (SELECT unnest(?::VARCHAR[]))",
                [forgotten[:2]],
            )
        )
        replay = start_or_resume(
            store,
            "priya",
            replay_id=first.run_id,
            options=RunOptions(batch=True, cache_only=True, poll_interval=0.01),
        )
        assert len(submitted(stub)) == 2
    assert (replay.cached, replay.errors) == (10, 2)
    with store.read() as con:
        errors = con.execute(
            "SELECT case_id, error, cached FROM results WHERE run_id = ? AND error IS NOT NULL",
            [replay.run_id],
        ).fetchall()
    assert sorted(errors) == [(c, "not in the response cache (replay)", False) for c, _ in keys[:2]]


def test_the_sentinel_alone_stops_a_batch_before_it_is_submitted(tmp_path: Path) -> None:
    store = setup(tmp_path)
    killswitch.sentinel(store).write_text("drill")  # the file only: the setting is released
    with MessagesStub() as stub:
        outcome = start_batch(store, stub)
        assert submitted(stub) == []
    assert outcome.status == "halted" and outcome.done == 0
