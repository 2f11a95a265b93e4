"""Each safeguard on its own: where two mechanisms guard one rule, one is switched off (by a
setting a user can choose, or by a system that trips only one of them) and the other holds.

- A finished case is not called again: resume skips cases with a stored result, and the
  response cache answers a request it has seen. Resume alone: a run with the cache off.
  Cache alone: a new run (nothing to resume) of the same cases.
- The kill switch stops calls: the runner looks for the sentinel file before every call, and
  reads the database setting at every commit. Sentinel alone: only the file appears. Commit
  check alone: only the setting is engaged (the file is gone, as when it was engaged from a
  machine that cannot see this one's disk).
- Only some roles may start a run: the library refuses a direct call (here); the page hides
  the control (tests/app/test_runs_page.py).

The system is an in-process fake with a call log, so every count is exact: concurrency 1, and
each trip happens inside a numbered call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from helpers import seeded_copy, write_cases

from pilot.core import audit, killswitch
from pilot.core.errors import Halted, PermissionDenied
from pilot.core.models import SystemConfig, SystemOutput, SystemRequest
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.runs.execute import RunOptions, RunOutcome, create_run, execute_run
from pilot.runs.start import prepare_run, start_or_resume
from pilot.runs.systems.base import PermanentError

CASES = 20
ONE_AT_A_TIME = RunOptions(concurrency=1)
Trip = Callable[[int], Awaitable[None]]


class Scripted:
    """A system that answers every case and logs each call's case id; `trip(n)` runs inside
    the n-th call, before it answers."""

    def __init__(self, trip: Trip | None = None) -> None:
        self.calls: list[str] = []
        self.trip = trip

    async def answer(self, request: SystemRequest) -> SystemOutput:
        self.calls.append(request.case_id)
        if self.trip is not None:
            await self.trip(len(self.calls))
        return SystemOutput(answer="25 days", model="scripted")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = seeded_copy(tmp_path / "pilot.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "cases.jsonl", CASES), name="leave")
    return store


def new_run(store: Store, options: RunOptions = ONE_AT_A_TIME) -> str:
    return prepare_run(store, "priya", goldenset="leave", config=SystemConfig(), options=options)


def stored(store: Store, run_id: str) -> set[str]:
    with store.read() as con:
        rows = con.execute("SELECT case_id FROM results WHERE run_id = ?", [run_id]).fetchall()
    return {r[0] for r in rows}


def engaged(store: Store) -> bool:
    with store.read() as con:
        return killswitch.state(con).engaged


def halt_at(store: Store, n: int, options: RunOptions = ONE_AT_A_TIME) -> tuple[str, set[str]]:
    """A run halted by the kill switch during its n-th call; the switch is released after."""

    async def trip(call: int) -> None:
        if call == n:
            killswitch.engage(store, "priya", "drill")

    run_id = new_run(store, options)
    outcome = execute_run(store, "priya", run_id, system=Scripted(trip))
    assert outcome.status == "halted" and outcome.done == n
    killswitch.release(store, "priya")
    return run_id, stored(store, run_id)


# --- a finished case is not called again ---------------------------------------------------


def test_resume_alone_skips_finished_cases_with_the_cache_off(store: Store) -> None:
    run_id, before = halt_at(store, 5, RunOptions(concurrency=1, use_cache=False))
    assert len(before) == 5
    with store.read() as con:  # the answers are in the cache, but this run may not read it
        assert con.execute("SELECT count(*) FROM response_cache").fetchone()[0] == 5
    system = Scripted()
    outcome = execute_run(store, "priya", run_id, system=system)
    assert outcome.status == "finished" and outcome.cached == 0
    assert len(system.calls) == CASES - 5 and not set(system.calls) & before
    assert len(stored(store, run_id)) == CASES


def test_cache_alone_answers_finished_cases_in_a_new_run(store: Store) -> None:
    _, before = halt_at(store, 5)
    system = Scripted()
    again = new_run(store)  # a new run: no stored result, nothing to resume
    outcome: RunOutcome = execute_run(store, "priya", again, system=system)
    assert outcome.status == "finished" and outcome.cached == 5
    assert len(system.calls) == CASES - 5 and not set(system.calls) & before
    with store.read() as con:
        cached = con.execute(
            "SELECT case_id FROM results WHERE run_id = ? AND cached", [again]
        ).fetchall()
    assert {r[0] for r in cached} == before


def resume_event(store: Store, run_id: str) -> dict:
    with store.read() as con:
        events = [e for e in audit.events(con, action="run.resume") if e.object == f"run:{run_id}"]
    assert len(events) == 1
    return events[0].payload


def test_a_resume_records_where_it_resumed_from(store: Store) -> None:
    run_id, before = halt_at(store, 5)
    system = Scripted()
    outcome = execute_run(store, "priya", run_id, system=system)
    assert (outcome.status, outcome.total, outcome.done, outcome.cached) == ("finished", 20, 20, 0)
    assert resume_event(store, run_id) == {"resumed_from": "halted", "done": 5, "total": CASES}
    assert sorted(system.calls) == sorted(set(stored(store, run_id)) - before)


class Failing(Scripted):
    """Fails the listed cases permanently (a 400: the case's error, not the run's)."""

    def __init__(self, failing: set[str]) -> None:
        super().__init__()
        self.failing = failing

    async def answer(self, request: SystemRequest) -> SystemOutput:
        if request.case_id in self.failing:
            self.calls.append(request.case_id)
            raise PermanentError("400 bad request")
        return await super().answer(request)


def test_resuming_an_inconclusive_run_calls_its_errored_cases_and_no_other(store: Store) -> None:
    run_id = new_run(store)
    failing = {"c-001", "c-007", "c-013"}
    first = execute_run(store, "priya", run_id, system=Failing(failing))
    assert first.status == "inconclusive" and first.errors == 3  # 15% errored: over 2%
    system = Scripted()
    outcome = execute_run(store, "priya", run_id, system=system)
    assert sorted(system.calls) == sorted(failing)
    assert (outcome.status, outcome.done, outcome.errors) == ("finished", 20, 0)
    assert resume_event(store, run_id) == {
        "resumed_from": "inconclusive",
        "done": 17,
        "total": CASES,
        "retried_errors": sorted(failing),
    }
    with store.read() as con:
        rows = con.execute(
            "SELECT case_id, error FROM results WHERE run_id = ?", [run_id]
        ).fetchall()
    assert len(rows) == CASES and all(error is None for _, error in rows)


def test_a_halted_run_with_errors_resumes_only_the_cases_without_a_result(store: Store) -> None:
    """Only an inconclusive run calls its errored cases again: a halted run's errors are
    results, kept as they are."""

    async def trip(call: int) -> None:
        if call == 6:
            killswitch.engage(store, "priya", "drill")

    class FailingThenTrip(Failing):
        async def answer(self, request: SystemRequest) -> SystemOutput:
            if self.trip is not None and len(self.calls) + 1 == 6:
                self.calls.append(request.case_id)
                await self.trip(6)
                return SystemOutput(answer="25 days", model="scripted")
            return await super().answer(request)

    run_id = new_run(store)
    halted_by = FailingThenTrip({"c-001"})
    halted_by.trip = trip
    assert execute_run(store, "priya", run_id, system=halted_by).status == "halted"
    killswitch.release(store, "priya")
    system = Scripted()
    execute_run(store, "priya", run_id, system=system)
    assert "c-001" not in system.calls and len(system.calls) == CASES - 6
    assert "retried_errors" not in resume_event(store, run_id)


# --- the kill switch stops calls -----------------------------------------------------------


def test_the_sentinel_alone_stops_the_next_call(store: Store) -> None:
    sentinel = killswitch.sentinel(store)

    async def trip(call: int) -> None:
        if call == 3:
            sentinel.write_text("drill")  # the file only: the setting stays released

    system = Scripted(trip)
    run_id = new_run(store)
    outcome = execute_run(store, "priya", run_id, system=system)
    assert not engaged(store)
    assert outcome.status == "halted" and len(system.calls) == 3
    assert len(stored(store, run_id)) == 3  # the call in flight is kept
    sentinel.unlink()


def test_the_commit_check_alone_stops_calls_once_the_setting_is_committed(store: Store) -> None:
    sentinel = killswitch.sentinel(store)

    async def trip(call: int) -> None:
        if call == 3:
            killswitch.engage(store, "priya", "engaged elsewhere")
            sentinel.unlink()  # the setting only: no file on this machine
        if call == 4:  # wait (without blocking the loop) until call 3's result is committed
            for _ in range(3000):
                if len(stored(store, run_id)) >= 3:
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("the writer never committed call 3")

    system = Scripted(trip)
    run_id = new_run(store)
    outcome = execute_run(store, "priya", run_id, system=system)
    assert engaged(store) and not sentinel.exists()
    # calls 1-3, and call 4 already under way when call 3's commit read the setting
    assert outcome.status == "halted" and len(system.calls) == 4
    with store.read() as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone() == (
            "halted",
        )


def test_an_engaged_setting_alone_refuses_to_start_or_resume(store: Store) -> None:
    run_id, _ = halt_at(store, 2)
    killswitch.engage(store, "priya", "still broken")
    killswitch.sentinel(store).unlink()
    system = Scripted()
    with pytest.raises(Halted):
        execute_run(store, "priya", run_id, system=system)
    with pytest.raises(Halted):
        new_run(store)
    assert system.calls == []


# --- only the lead may start or resume a run: the library on its own ----------------------


def test_the_library_refuses_a_run_to_any_other_role_called_directly(store: Store) -> None:
    run_id, _ = halt_at(store, 2)
    system = Scripted()
    for user in ("ada", "marco", "sam", "dana", "nobody"):
        with store.read() as con:
            runs_before = con.execute("SELECT count(*) FROM runs").fetchone()[0]
            events_before = len(audit.events(con))
        with pytest.raises(PermissionDenied):
            start_or_resume(store, user, goldenset="leave", config=SystemConfig())
        with pytest.raises(PermissionDenied):
            execute_run(store, user, run_id, system=system)
        with pytest.raises(PermissionDenied):  # the write itself, past every earlier check
            create_run(store, user, _version(store), SystemConfig())
        with store.read() as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == runs_before
            events = audit.events(con)
        # only the refused write is recorded, as a denial
        assert len(events) == events_before + 1, user
        assert (events[0].action, events[0].actor) == ("access.denied", user)
    assert system.calls == []


def _version(store: Store) -> str:
    with store.read() as con:
        return con.execute("SELECT version FROM goldenset_versions").fetchone()[0]


# --- what a run counts as it goes -----------------------------------------------------------


def test_progress_counts_each_result_its_errors_and_its_cache_hits(store: Store) -> None:
    _, cached = halt_at(store, 4)  # four answers in the cache
    again = new_run(store)
    seen: list[tuple[int, int, int, int]] = []
    system = Failing({"c-010", "c-015"})
    outcome = execute_run(
        store,
        "priya",
        again,
        system=system,
        on_progress=lambda p: seen.append((p.total, p.done, p.errors, p.cached)),
    )
    assert [done for _, done, _, _ in seen] == list(range(1, CASES + 1))  # once per case
    assert {total for total, _, _, _ in seen} == {CASES}
    # one case at a time, in file order: cases 0-3 come from the cache, 10 and 15 fail
    assert [cached for *_, cached in seen] == [1, 2, 3, 4] + [4] * (CASES - 4)
    assert [errors for _, _, errors, _ in seen] == [0] * 10 + [1] * 5 + [2] * 5
    assert (outcome.done, outcome.errors, outcome.cached) == (CASES, 2, 4)
    assert sorted(cached) == ["c-000", "c-001", "c-002", "c-003"]
