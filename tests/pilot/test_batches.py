"""Claude through the Message Batches API, against the stub's batch endpoints."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import anthropic
import pytest
from helpers import seeded_copy, write_cases
from stub_messages_api import MessagesStub, default_responder

from pilot.core import killswitch
from pilot.core.errors import InputError, StoreBusy
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset, load_cases
from pilot.runs import writer as writer_module
from pilot.runs.batch import MAX_ROUNDS, _submit, custom_id
from pilot.runs.context import RunOptions
from pilot.runs.edge import load_edge, payload_for
from pilot.runs.register import create_run
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


def start_batch(
    store: Store, stub: MessagesStub, options: RunOptions = BATCH, on_progress: Any = None
) -> Any:
    """Priya starts a batch run of the leave golden set against the stub."""
    return start_or_resume(
        store,
        "priya",
        goldenset="leave",
        config=CLAUDE,
        options=options,
        connection=Connection(api_key="k", base_url=stub.base_url),
        on_progress=on_progress,
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
                start_batch(store, stub),
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
        # stopped at the cancel: the cancelled batch's results are not even read (the check
        # before a new batch is submitted would also stop the run: each is tested on its own)
        assert seen[-1].endswith("/cancel") and not any(p.endswith("/results") for p in seen)
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
        seen: list[int] = []
        again = start_or_resume(  # every answer is in the cache
            store, "priya", **run, on_progress=lambda p: seen.append(p.done)
        )
        assert (again.status, again.done, again.cached) == ("finished", 12, 12)
        assert seen == list(range(1, 13))  # each cached answer is counted as it is recorded
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
            answers = [
                con.execute(
                    "SELECT case_id, answer, citations FROM results WHERE run_id = ? "
                    "ORDER BY case_id",
                    [run_id],
                ).fetchall()
                for run_id in (first.run_id, again.run_id)
            ]
        assert set(cached) == {(True, 0, 0.0, None)}
        assert answers[1] == answers[0] and all(a for _, a, _ in answers[0])  # the same answers
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
        counted: list[int] = []
        replay = start_or_resume(
            store,
            "priya",
            replay_id=first.run_id,
            options=RunOptions(batch=True, cache_only=True, poll_interval=0.01),
            on_progress=lambda p: counted.append(p.done),
        )
        assert len(submitted(stub)) == 2
    assert (replay.cached, replay.errors) == (10, 2)
    with store.read() as con:
        errors = con.execute(
            "SELECT case_id, error, cached, latency_ms, attempts FROM results "
            "WHERE run_id = ? AND error IS NOT NULL",
            [replay.run_id],
        ).fetchall()
    missing = "not in the response cache (replay)"
    assert sorted(errors) == [(c, missing, False, 0.0, 0) for c, _ in keys[:2]]  # no call made
    assert counted == list(range(1, 13))  # answered or not, each case is counted


def test_the_sentinel_alone_stops_a_batch_before_it_is_submitted(tmp_path: Path) -> None:
    store = setup(tmp_path)
    killswitch.sentinel(store).write_text("drill")  # the file only: the setting is released
    with MessagesStub() as stub:
        outcome = start_batch(store, stub)
        assert submitted(stub) == []
    assert outcome.status == "halted" and outcome.done == 0


def polls(stub: MessagesStub) -> int:
    """The batch status reads the stub received, failed ones included: `_wait`'s polls, and one
    more for each batch whose results are read (the SDK's `results()` reads the batch first,
    for its results URL)."""
    return sum(
        1
        for r in stub.requests
        if r.method == "GET"
        and r.path.startswith("/v1/messages/batches/")
        and r.path.count("/") == 4
    )


# retries of a poll wait `backoff_base * 2` doubled per attempt: a millisecond or two here
POLLING = RunOptions(batch=True, poll_interval=0.01, max_attempts=4, backoff_base=0.001)


def test_a_status_poll_that_fails_transiently_is_retried_and_the_run_finishes(
    tmp_path: Path,
) -> None:
    """A 500, a 529 (overloaded), a 429 and a dropped connection while polling are each retried:
    `max_attempts` + 1 polls in all, the last one reading the batch as ended."""
    store = setup(tmp_path)
    with MessagesStub() as stub:
        for kind in ("server_error", "overloaded", "rate_limit", "disconnect"):
            stub.fail_poll(kind)
        outcome = start_batch(store, stub, POLLING)
        counters = stub.counters
        assert polls(stub) == 5 + 1 and len(submitted(stub)) == 1
    assert [counters.get(f"poll_fault:{k}") for k in ("server_error", "overloaded")] == [1, 1]
    assert [counters.get(f"poll_fault:{k}") for k in ("rate_limit", "disconnect")] == [1, 1]
    assert (outcome.status, outcome.done, outcome.errors) == ("finished", 12, 0)


def test_a_status_poll_that_keeps_failing_raises_its_error_and_the_batch_is_resumed(
    tmp_path: Path,
) -> None:
    """After `max_attempts` + 1 failed polls the last failure is raised as the SDK gave it (not
    wrapped); the run keeps its recorded batch, so a resume polls that batch again and submits
    nothing."""
    store = setup(tmp_path)
    with MessagesStub() as stub:
        kw = Connection(api_key="k", base_url=stub.base_url)
        stub.fail_poll("overloaded", times=4)
        stub.fail_poll("server_error")
        with pytest.raises(anthropic.InternalServerError) as failed:
            start_batch(store, stub, POLLING)
        assert failed.value.status_code == 500  # the fifth poll's failure, the last
        assert polls(stub) == 5 and stub.counters.get("poll_fault:overloaded") == 4
        with store.read() as con:
            (run_id, status) = con.execute("SELECT run_id, status FROM runs").fetchone()
        assert status == "running"
        outcome = start_or_resume(store, "priya", resume_id=run_id, connection=kw)
        assert len(submitted(stub)) == 1 and polls(stub) == 5 + 2
    assert (outcome.status, outcome.done, outcome.errors) == ("finished", 12, 0)


def test_a_status_poll_refused_for_good_is_not_retried(tmp_path: Path) -> None:
    """A 404 (the batch is unknown to the API) is no transient failure: raised at the first poll."""
    store = setup(tmp_path)
    with MessagesStub() as stub:
        stub.fail_poll("not_found", times=3)
        with pytest.raises(anthropic.NotFoundError):
            start_batch(store, stub, POLLING)
        assert polls(stub) == 1


def test_a_batch_run_of_a_system_other_than_claude_is_refused(tmp_path: Path) -> None:
    """Only Claude goes through the Message Batches API: a batch run of the offline baseline
    is refused with the reason (what the CLI and the app show) before anything is recorded:
    no run, no result, no audit event."""
    store = setup(tmp_path)
    with store.read() as con:
        events = con.execute("SELECT count(*) FROM audit_events").fetchone()
    with pytest.raises(InputError) as refused:
        start_or_resume(store, "priya", goldenset="leave", config=SystemConfig(), options=BATCH)
    assert str(refused.value) == "--batch needs --system anthropic (the Message Batches API)"
    assert refused.value.app == "Only Claude runs can go through the Message Batches API."
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM results").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM audit_events").fetchone() == events


def test_a_batch_run_of_another_system_registered_anyway_is_refused_by_the_runner(
    tmp_path: Path,
) -> None:
    """A batch run of a system other than Claude that was registered without `prepare_run`'s
    check (a library caller, an older kit): resuming it is refused with the same words and
    no case is answered."""
    store = setup(tmp_path)
    with store.read() as con:
        version = con.execute("SELECT max(version) FROM goldenset_versions").fetchone()[0]
    run_id = create_run(store, "priya", version, SystemConfig(), options=BATCH)
    with pytest.raises(InputError) as refused:
        start_or_resume(store, "priya", resume_id=run_id)
    assert str(refused.value) == "--batch needs --system anthropic (the Message Batches API)"
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM results").fetchone() == (0,)


def test_a_writer_that_gives_up_in_a_batch_run_names_the_run_and_the_batch_is_resumed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch's answers cannot be stored (the cache table is moved away while the batch is
    created; any error but a write conflict): the writer retries, gives up, and the run is
    reported by its id as resumable. Put back, the resume reads the recorded batch's results
    and submits nothing. The writer's waits are
    shortened (8 attempts wait about 16 s in all): what is tested is that it gives up."""
    monkeypatch.setattr(writer_module, "COMMIT_BACKOFF", (0.01, 0.05))
    store = setup(tmp_path)

    def move(source: str, target: str) -> None:
        store.write(lambda con: con.execute(f"ALTER TABLE {source} RENAME TO {target}"))

    def moving_responder(body: dict[str, Any]) -> list[dict[str, Any]]:
        if not moved:
            moved.append(True)
            move("response_cache", "cache_away")
        return default_responder(body)

    moved: list[bool] = []
    with MessagesStub(responder=moving_responder) as stub:
        with pytest.raises(StoreBusy) as gave_up:
            start_batch(store, stub)
        with store.read() as con:
            (run_id,) = con.execute("SELECT run_id FROM runs").fetchone()
            assert con.execute("SELECT count(*) FROM results").fetchone() == (0,)
        message, app = str(gave_up.value), gave_up.value.app
        assert message.startswith(f"could not store results of {run_id} (")
        assert message.endswith(f"`pilot run --resume {run_id}` continues the run")
        assert app is not None and app.startswith(f"Could not store results of {run_id} (")
        move("cache_away", "response_cache")
        outcome = start_or_resume(
            store,
            "priya",
            resume_id=run_id,
            connection=Connection(api_key="k", base_url=stub.base_url),
        )
        assert len(submitted(stub)) == 1
    assert (outcome.status, outcome.done, outcome.errors) == ("finished", 12, 0)


def test_a_case_with_no_result_after_every_round_is_recorded_as_an_error(tmp_path: Path) -> None:
    """A request that expires is submitted again in a new batch, up to MAX_ROUNDS batches; a
    case still without a result is then recorded as that error (never dropped), and each batch
    records the cases it was submitted for."""
    store = setup(tmp_path)
    with MessagesStub() as stub:
        # one fault a request, in order: every request of the first two batches expires, and
        # the first of the third
        stub.fail("timeout", times=2 * 12 + 1)
        seen: list[tuple[int, int]] = []  # what a progress display is told: (done, errors)
        outcome = start_batch(store, stub, on_progress=lambda p: seen.append((p.done, p.errors)))
        batches = submitted(stub)
    assert seen[-1] == (12, 1)  # told of the last case too, the one recorded as an error
    assert len(batches) == MAX_ROUNDS == 3 and batches[0] == batches[1] == batches[2]
    with store.read() as con:
        ids = [
            json.loads(r[0])
            for r in con.execute(
                "SELECT case_ids FROM run_batches ORDER BY submitted_at"
            ).fetchall()
        ]
        failed = con.execute(
            "SELECT case_id, answer, error, cached, latency_ms, attempts FROM results "
            "WHERE error IS NOT NULL"
        ).fetchall()
        (key,) = con.execute(
            "SELECT request_hash FROM results WHERE case_id = ?", [ids[0][0]]
        ).fetchone()
    assert len(ids) == 3 and [custom_id(c) for c in ids[0]] == batches[0] == batches[2]
    assert ids[0] == ids[1] == ids[2]
    error = f"no batch result after {MAX_ROUNDS} batches"
    assert failed == [(ids[0][0], None, error, False, 0.0, MAX_ROUNDS)]
    assert len(key) == 64  # its request's hash
    # 1 error in 12 is over the default error rate: the run ends (not halted), inconclusive
    assert (outcome.status, outcome.done, outcome.errors) == ("inconclusive", 12, 1)


def test_a_batch_run_closes_its_sdk_client(tmp_path: Path) -> None:
    """The batch path hands its client back (`aclose`), as the call-by-call path does: its
    connections to the API are closed when the run ends, not left to the garbage collector."""
    from pilot.runs.execute import execute_run
    from pilot.runs.systems.anthropic import AnthropicSystem

    class Noted(AnthropicSystem):
        """The kit's Claude system, noting each SDK client it hands out."""

        handed: list[anthropic.AsyncAnthropic] = []

        def client(self) -> anthropic.AsyncAnthropic:
            made = super().client()
            self.handed.append(made)
            return made

    store = setup(tmp_path)
    with MessagesStub() as stub:
        connection = Connection(api_key="k", base_url=stub.base_url)
        run_id = prepare_run(store, "priya", goldenset="leave", config=CLAUDE, options=BATCH)
        system = Noted.create(CLAUDE, connection)
        outcome = execute_run(
            store, "priya", run_id, options=BATCH, system=system, connection=connection
        )
    assert outcome.done == 12 and Noted.handed
    assert all(client.is_closed() for client in Noted.handed)
