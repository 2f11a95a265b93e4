"""The writer commits a wave when it is complete or its deadline passes, and never waits when
nothing is in flight (issue 9, item 11; issue 14: no fixed waits on the run path). The old
writer slept a fixed 50 ms after every result; with the gathering window set to a minute here,
any such fixed wait would hold these commits for that minute."""

from __future__ import annotations

import asyncio
import time

import pytest

from pilot.core.store import Store
from pilot.runs import writer as writer_module
from pilot.runs.rows import ResultRow
from pilot.runs.writer import Writer

GENEROUS = 30.0  # seconds; far below the minute-long window, far above a loaded commit


def row(case_id: str) -> ResultRow:
    return ResultRow.of("run-w", case_id, None, "boom", False, 1.0, 1, f"k-{case_id}")


def stored(store: Store) -> int:
    with store.read() as con:
        return con.execute("SELECT count(*) FROM results").fetchone()[0]


async def wait_for_rows(store: Store, n: int) -> float:
    started = time.monotonic()
    while await asyncio.to_thread(stored, store) < n:
        assert time.monotonic() - started < GENEROUS, "the commit is being held back"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def test_a_complete_wave_is_committed_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "COALESCE_SECONDS", 60.0)

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        task = asyncio.create_task(writer.loop())
        for _ in range(3):
            writer.begin()
        for case in ("a", "b", "c"):
            writer.add(row(case), None)
            writer.end()  # the last end completes the wave: nothing more can come
        await wait_for_rows(store, 3)
        assert writer.in_flight == 0
        await writer.close()
        await task

    asyncio.run(scenario())


def test_a_result_with_nothing_in_flight_is_committed_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch run hands results over with no call in flight (no begin/end)."""
    monkeypatch.setattr(writer_module, "COALESCE_SECONDS", 60.0)

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        task = asyncio.create_task(writer.loop())
        writer.add(row("a"), None)
        await wait_for_rows(store, 1)
        await writer.close()
        await task

    asyncio.run(scenario())


def test_an_open_wave_is_committed_by_its_deadline(store: Store) -> None:
    """One call still in flight: the finished one is committed once the window passes, without
    waiting for the slow call."""

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        task = asyncio.create_task(writer.loop())
        writer.begin()
        writer.begin()
        writer.add(row("fast"), None)
        writer.end()
        await wait_for_rows(store, 1)
        assert writer.in_flight == 1  # the slow call never finished, yet "fast" is stored
        writer.end()
        await writer.close()
        await task

    asyncio.run(scenario())


def test_cache_keyer_gives_the_same_key_as_cache_key() -> None:
    """Keys are stored: the run's fast keyer must equal `cache_key` byte for byte."""
    from pilot.core.models import SystemConfig
    from pilot.runs.cache import cache_key, cache_keyer

    config = SystemConfig(kind="anthropic", model="claude-sonnet-4-6", prompt_template="Réponds")
    payloads = [
        {"messages": [{"role": "user", "content": "ß € 日本"}], "max_tokens": 5},
        {"b": [1, 2.5, None, True], "a": {"z": "x", "y": []}},
        {},
    ]
    keyer = cache_keyer(config)
    for payload in payloads:
        assert keyer(payload) == cache_key(config, payload)
    assert keyer(payloads[0]) != keyer(payloads[1])


def other_process_can_open(path: str) -> bool:
    """Whether a second process can open the database right now (DuckDB's file lock)."""
    import subprocess
    import sys

    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    done = subprocess.run([sys.executable, "-c", probe, path], capture_output=True, timeout=60)
    return done.returncode == 0


def test_the_writer_holds_the_file_only_while_it_commits(store: Store) -> None:
    """Once idle, the writer lets go of the file, so another process (the app, `pilot kill`)
    can open it, and it reopens it for the next commit; it never holds it after closing."""

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        task = asyncio.create_task(writer.loop())
        writer.add(row("a"), None)
        await wait_for_rows(store, 1)
        started = time.monotonic()
        while writer._keeper is not None:  # released after IDLE_RELEASE_SECONDS of nothing
            assert time.monotonic() - started < GENEROUS, "the idle writer keeps the file"
            await asyncio.sleep(0.01)
        assert await asyncio.to_thread(other_process_can_open, str(store.path))
        writer.add(row("b"), None)
        await wait_for_rows(store, 2)
        await writer.close()
        await task
        assert writer._keeper is None
        assert await asyncio.to_thread(other_process_can_open, str(store.path))

    asyncio.run(scenario())


def test_a_writer_closed_to_hand_over_gives_its_open_file_to_the_caller(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's bookkeeping after its calls takes over the file the writer still holds after
    its last commit, instead of the writer closing (checkpointing) it and the run opening it
    again; once the caller closes it, other processes can open the file."""
    monkeypatch.setattr(writer_module, "HOLD_SECONDS", 600.0)  # a slow commit keeps it too

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        task = asyncio.create_task(writer.loop())
        writer.begin()  # a call in flight: the wave stays open until the writer closes
        writer.add(row("a"), None)
        writer.end()
        await writer.close(hand_over=True)
        await task
        assert await asyncio.to_thread(stored, store) == 1
        assert writer._keeper is None and writer.handed_over is not None
        assert not await asyncio.to_thread(other_process_can_open, str(store.path))
        writer.handed_over.close()
        assert await asyncio.to_thread(other_process_can_open, str(store.path))

    asyncio.run(scenario())


def test_a_row_or_cache_key_already_stored_is_skipped_and_the_rest_committed(
    store: Store,
) -> None:
    """A commit first inserts without ON CONFLICT (~4 ms less CPU a statement); a row or a
    cache key already stored makes it fall back to skipping those, for that commit and every
    later one, and nothing else of the batch is lost."""

    def contents() -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
        with store.read() as con:
            results = con.execute(
                "SELECT case_id, error FROM results WHERE run_id = 'run-w' ORDER BY case_id"
            ).fetchall()
            cache = con.execute("SELECT key, output FROM response_cache ORDER BY key").fetchall()
        return results, cache

    writer = Writer(store, "run-w")
    writer._flush([(row("a"), ("k-1", '"first"'))])
    assert writer._skip_stored is False  # nothing stored yet: the plain INSERTs served
    again = ResultRow.of("run-w", "a", None, "second", False, 1.0, 1, "k-a")
    writer._flush([(again, ("k-1", '"second"')), (row("b"), ("k-2", '"b"'))])
    assert writer._skip_stored is True
    writer._flush([(row("c"), ("k-2", '"again"'))])
    writer._release(False)
    assert contents() == (
        [("a", "boom"), ("b", "boom"), ("c", "boom")],  # a's first row kept
        [("k-1", '"first"'), ("k-2", '"b"')],  # the first entry of a key kept
    )


def test_a_commit_that_keeps_failing_keeps_its_rows_and_stops_further_calls(
    store: Store,
) -> None:
    """A row the database refuses every time (here one without its request hash, a NOT NULL
    column): the writer retries, then gives up; the whole wave stays pending (one transaction,
    nothing half stored), `ready` tells callers to stop, and the run is reported resumable."""
    from pilot.core.errors import StoreBusy

    refused = ResultRow.of("run-w", "a", None, "boom", False, 1.0, 1, None)  # type: ignore[arg-type]

    tries: list[int] = []

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        flush = writer._flush

        def counted(batch: list) -> None:
            tries.append(len(batch))
            flush(batch)

        writer._flush = counted  # type: ignore[method-assign]
        assert await writer.ready() and writer.error is None
        task = asyncio.create_task(writer.loop(attempts=2))
        writer.add(row("b"), ("k-b", "{}"))
        writer.add(refused, None)
        while not writer.failing:  # the first commit failed; the retry waits 0.2 s
            await asyncio.sleep(0.01)
        assert not await writer.ready()  # waits while the commit fails, then: give up
        await asyncio.wait_for(task, GENEROUS)  # gave up: the loop ends without close()
        assert writer.error is not None and not await writer.ready()
        # and lets the file go: the run stops, and another process may need it
        assert writer._keeper is None
        assert await asyncio.to_thread(other_process_can_open, str(store.path))
        assert [r.case_id for r, _ in writer.pending] == ["b", "a"]
        with pytest.raises(
            StoreBusy, match=r"could not store results of run-w .*--resume run-w"
        ) as e:
            writer.raise_if_failed()
        assert e.value.app == (
            f"Could not store results of run-w ({writer.error}). Every result stored so far is "
            "kept: resume the run on the Runs page."
        )

    asyncio.run(scenario())
    assert tries == [2, 2]  # the wave tried whole, as many times as the writer was told
    assert stored(store) == 0  # "b" was not committed without "a"
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM response_cache").fetchone()[0] == 0


def test_a_writer_that_lets_the_file_go_for_a_turn_does_not_take_it_back_during_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Having held the file (HOLD_SECONDS), the writer lets it go for TURN_SECONDS so another
    process can get in: a commit during that turn opens and closes the file itself and leaves
    it free."""
    monkeypatch.setattr(writer_module, "HOLD_SECONDS", 600.0)  # no release but the one below
    monkeypatch.setattr(writer_module, "TURN_SECONDS", 600.0)  # a turn longer than the test
    writer = Writer(store, "run-w")
    writer._flush([(row("a"), None)])
    assert writer._keeper is not None  # held across back-to-back commits
    writer._release(True)  # held long enough: others' turn
    writer._flush([(row("b"), None)])
    assert writer._keeper is None and other_process_can_open(str(store.path))
    assert stored(store) == 2


def test_a_wave_pending_when_the_file_is_let_go_waits_for_the_turn_to_end(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A result that arrived just before the writer let the file go is committed when the
    turn is over, on the file held again, not during the turn (which would open and close the
    file: the cost the turn's wait is there to save)."""
    monkeypatch.setattr(writer_module, "TURN_SECONDS", 600.0)
    writer = Writer(store, "run-w")
    writer.begin()  # a call still out: the wave may grow
    writer._flush([(row("a"), None)])  # holds the file
    writer.add(row("b"), None)
    writer._release(True)  # others' turn, from now
    assert 599.0 < writer._wave_open() <= 600.0  # the turn's end, not 80 ms after b arrived
    writer.end()
    assert writer._wave_open() == 0.0  # nothing in flight: commit at once


def test_a_commit_after_holding_the_file_long_enough_lets_it_go_for_a_turn(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit that ends a hold of HOLD_SECONDS lets the file go, and for a turn: the next
    commit, though the writer would now hold the file for good, leaves it free."""
    monkeypatch.setattr(writer_module, "TURN_SECONDS", 600.0)
    monkeypatch.setattr(writer_module, "HOLD_SECONDS", 0.0)  # this commit ends the hold
    writer = Writer(store, "run-w")
    writer._flush([(row("a"), None)])
    assert writer._keeper is None and other_process_can_open(str(store.path))
    monkeypatch.setattr(writer_module, "HOLD_SECONDS", 600.0)
    writer._flush([(row("b"), None)])  # others' turn: not held again
    assert writer._keeper is None and other_process_can_open(str(store.path))
    assert stored(store) == 2


def test_the_first_result_of_a_wave_starts_its_clock(store: Store) -> None:
    """With calls still out, a wave gathers for COALESCE_SECONDS from its first result."""
    writer = Writer(store, "run-w")
    writer.begin()
    writer.add(row("a"), None)
    assert 0.0 < writer._wave_open() <= writer_module.COALESCE_SECONDS


def test_closing_while_a_commit_is_in_flight_still_commits_what_is_pending(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run closes the writer (to hand its file over) while a commit is still going and a
    later wave waits for it: the writer commits that wave before it ends; nothing is lost."""
    import threading

    monkeypatch.setattr(writer_module, "MAX_COMMITS", 1)
    gate = threading.Event()

    async def scenario() -> None:
        writer = Writer(store, "run-w")
        hold = writer._hold
        first = True

        def held_back() -> None:
            nonlocal first
            hold()  # the file held, as for any commit
            if first:
                first = False
                assert gate.wait(GENEROUS)  # the first commit waits until the test says

        writer._hold = held_back  # type: ignore[method-assign]
        task = asyncio.create_task(writer.loop())
        writer.add(row("a"), None)  # nothing in flight: committed at once, and held back
        while first:
            await asyncio.sleep(0.01)
        writer.add(row("b"), None)  # waits: the one commit allowed is going
        await writer.close(hand_over=True)
        await asyncio.sleep(0.1)  # the loop sees the close while a's commit is still going
        gate.set()
        await asyncio.wait_for(task, GENEROUS)
        if writer.handed_over is not None:
            writer.handed_over.close()

    asyncio.run(scenario())
    assert stored(store) == 2
