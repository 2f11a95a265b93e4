"""`execute_run`'s own rules, in process: what it refuses, what each case's result records
(its error, attempts and latency), what a resume after a crash writes, that the kill switch is
checked before every retry, and that no system is built when the cache answers everything.

The systems are in-process fakes with a call log (exact counts: one case at a time), and the
real anthropic SDK where a real system must be built.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from helpers import seeded_copy, write_cases

from pilot.core import audit, killswitch
from pilot.core.errors import InputError, RunBusy, StoreBusy
from pilot.core.models import SystemConfig, SystemOutput, SystemRequest
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.runs import execute as execute_module
from pilot.runs import writer as writer_module
from pilot.runs.context import RunOptions
from pilot.runs.execute import execute_run
from pilot.runs.start import prepare_run
from pilot.runs.systems.base import PermanentError, TransientError

CASES = 8
ONE = RunOptions(concurrency=1, backoff_base=0.001, backoff_cap=0.002)
CLAUDE = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
OFFLINE = SystemConfig()


class Log:
    """Answers every case after `delay` seconds; `script` maps a case id to what its calls do
    in turn, each call a tuple of steps: a callable to run (awaited if it is async), an
    exception to raise."""

    def __init__(self, script: dict | None = None, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.delay = delay
        self.closed = False

    async def answer(self, request: SystemRequest) -> SystemOutput:
        self.calls.append(request.case_id)
        todo = self.script.get(request.case_id)
        for step in todo.pop(0) if todo else ():
            if isinstance(step, BaseException):
                raise step
            done = step()
            if asyncio.iscoroutine(done):
                await done
        if self.delay:
            await asyncio.sleep(self.delay)
        return SystemOutput(answer="25 days", model="log")

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = seeded_copy(tmp_path / "pilot.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "cases.jsonl", CASES), name="leave")
    return store


def new_run(store: Store, config: SystemConfig = OFFLINE) -> str:
    return prepare_run(store, "priya", goldenset="leave", config=config, options=ONE)


def rows(store: Store, run_id: str) -> dict[str, tuple]:
    with store.read() as con:
        found = con.execute(
            "SELECT case_id, error, attempts, latency_ms, cached FROM results WHERE run_id = ?",
            [run_id],
        ).fetchall()
    return {r[0]: r[1:] for r in found}


def events(store: Store, action: str, run_id: str) -> list[audit.Event]:
    with store.read() as con:
        return [e for e in audit.events(con, action=action) if e.object == f"run:{run_id}"]


def test_each_failure_is_the_cases_error_with_its_attempts(store: Store) -> None:
    system = Log(
        {
            "c-001": [(PermanentError("400 bad request"),)],
            "c-002": [(TransientError("overloaded"),)] * 2,
            "c-003": [(ValueError("the system's own bug"),)],
            "c-004": [(TransientError("overloaded"),)] * 6,
        }
    )
    run_id = new_run(store)
    outcome = execute_run(store, "priya", run_id, system=system)
    found = rows(store, run_id)
    assert found["c-000"][:2] == (None, 1)
    assert found["c-001"][:2] == ("400 bad request", 1)
    assert found["c-002"][:2] == (None, 3)  # answered at the third attempt
    assert found["c-003"][:2] == ("ValueError: the system's own bug", 1)
    assert found["c-004"][1] == 6 and "overloaded" in found["c-004"][0]
    assert system.calls.count("c-004") == 6 and system.calls.count("c-002") == 3
    assert outcome.errors == 3 and len(found) == CASES
    assert system.closed  # the system's client is closed once the run ends


def test_a_results_latency_is_the_calls_time_in_milliseconds(store: Store) -> None:
    run_id = new_run(store)
    execute_run(store, "priya", run_id, system=Log(delay=0.05))
    latencies = [latency for _, _, latency, _ in rows(store, run_id).values()]
    assert min(latencies) >= 50  # each call took at least 50 ms
    assert max(latencies) < 60_000


@pytest.mark.parametrize("case", [2, CASES - 1])
def test_the_sentinel_stops_a_retry_of_the_case_in_hand(store: Store, case: int) -> None:
    """The kill switch is checked before every attempt, not only before every case: a case whose
    call failed is not called again once the switch is on, and the run is halted even when
    that case is the last (no later case looks at the switch)."""
    sentinel = killswitch.sentinel(store)

    def trip() -> None:
        sentinel.write_text("drill")

    run_id = new_run(store)
    tripping = Log({f"c-{case:03d}": [(trip, TransientError("overloaded"))]})
    outcome = execute_run(store, "priya", run_id, system=tripping)
    sentinel.unlink()
    assert outcome.status == "halted" and outcome.done == case
    before = [f"c-{i:03d}" for i in range(case)]
    assert tripping.calls == [*before, f"c-{case:03d}"]  # no second attempt
    assert sorted(rows(store, run_id)) == before  # halted mid-case: no result for it


def test_an_unknown_or_finished_run_is_refused(store: Store) -> None:
    system = Log()
    with pytest.raises(InputError, match="no run 'nope'"):
        execute_run(store, "priya", "nope", system=system)
    run_id = new_run(store)
    execute_run(store, "priya", run_id, system=system)
    with pytest.raises(InputError, match=f"run {run_id} is already finished"):
        execute_run(store, "priya", run_id, system=system)
    assert len(system.calls) == CASES


def test_a_run_left_running_by_a_crash_resumes_and_says_so(store: Store) -> None:
    """A killed process leaves its run 'running' with the results it committed."""
    run_id = new_run(store)

    def crash() -> None:
        killswitch.engage(store, "priya", "stand-in for kill -9")

    execute_run(store, "priya", run_id, system=Log({"c-003": [(crash,)]}))
    killswitch.release(store, "priya")
    store.write(lambda con: con.execute("UPDATE runs SET status = 'running'"))
    system = Log()
    progress: list[int] = []
    outcome = execute_run(
        store, "priya", run_id, system=system, on_progress=lambda p: progress.append(p.done)
    )
    assert system.calls == ["c-004", "c-005", "c-006", "c-007"]
    assert progress == [5, 6, 7, 8]  # counted on from the results already stored
    resumed = events(store, "run.resume", run_id)
    assert [e.payload for e in resumed] == [{"resumed_from": "running", "done": 4, "total": 8}]
    assert outcome.record is not None and outcome.record.status == "finished"
    assert outcome.record.run_id == run_id


def test_a_fresh_run_is_not_recorded_as_a_resume(store: Store) -> None:
    run_id = new_run(store)
    outcome = execute_run(store, "priya", run_id, system=Log())
    assert events(store, "run.resume", run_id) == []
    assert (outcome.total, outcome.done, outcome.errors, outcome.cached) == (CASES, CASES, 0, 0)


def test_a_halted_outcome_counts_what_was_done(store: Store) -> None:
    def stop() -> None:
        killswitch.engage(store, "priya", "drill")

    run_id = new_run(store)
    system = Log({"c-001": [(PermanentError("400"),)], "c-002": [(stop,)]})
    outcome = execute_run(store, "priya", run_id, system=system)
    assert (outcome.status, outcome.total, outcome.done, outcome.errors, outcome.cached) == (
        "halted",
        CASES,
        3,
        1,
        0,
    )
    assert [e.payload for e in events(store, "run.halted", run_id)] == [{"done": 3, "total": 8}]


def test_no_system_is_built_when_the_cache_answers_every_case(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claude with no API key cannot be built: a run the cache answers in full never tries."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    first = new_run(store, CLAUDE)
    execute_run(store, "priya", first, system=Log())  # fills the cache under Claude's keys
    again = new_run(store, CLAUDE)
    outcome = execute_run(store, "priya", again)
    assert (outcome.status, outcome.cached) == ("finished", CASES)


def test_a_system_that_cannot_be_built_fails_the_run_and_keeps_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    run_id = new_run(store, CLAUDE)
    with pytest.raises(InputError, match=f"pilot run --resume {run_id}") as refused:
        execute_run(store, "priya", run_id)
    with store.read() as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone() == (
            "failed",
        )
    (failed,) = events(store, "run.failed", run_id)
    reason = failed.payload["reason"]
    assert reason.startswith("No Anthropic API key")
    assert str(refused.value) == (
        f"{reason} (run {run_id} is kept; `pilot run --resume {run_id}` continues it once fixed)"
    )
    assert reason.endswith(".")  # one full stop between the reason and what follows
    assert refused.value.app == (
        f"{reason} Run {run_id} is kept: resume it on the Runs page once that is fixed."
    )
    assert rows(store, run_id) == {}


def other_process_can_open(path: Path) -> bool:
    """Whether a second process can open the database right now (DuckDB's file lock)."""
    import subprocess
    import sys

    probe = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True)
    return done.returncode == 0


def test_the_file_is_free_for_another_process_while_cases_are_answered(store: Store) -> None:
    """The run holds the database for its bookkeeping only: while a call waits on the network,
    another process (`pilot kill`, the app) can open it. Between commits the writer lets go
    within a fraction of a second, so the probe is repeated until then."""
    seen: list[bool] = []

    async def probe() -> None:  # without blocking the loop: the writer lets go on it
        for _ in range(60):
            if await asyncio.to_thread(other_process_can_open, store.path):
                seen.append(True)
                return
            await asyncio.sleep(0.5)
        seen.append(False)

    run_id = new_run(store)
    outcome = execute_run(store, "priya", run_id, system=Log({"c-003": [(probe,)]}))
    assert seen == [True] and outcome.status == "finished"


def test_a_writer_that_gives_up_names_the_run_and_a_resume_calls_only_the_rest(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every commit fails with an error other than a write conflict (the cache table is moved
    away mid-run; a conflict `Store.write` retries itself): the writer retries its commit, gives
    up, and the run stops, reported by its id as resumable. Put back, the resume calls exactly
    the cases that have no stored result. The writer's waits are
    shortened (8 attempts wait about 16 s in all): what is tested is that it gives up."""
    monkeypatch.setattr(writer_module, "COMMIT_BACKOFF", (0.01, 0.05))

    def move(source: str, target: str) -> None:
        store.write(lambda con: con.execute(f"ALTER TABLE {source} RENAME TO {target}"))

    run_id = new_run(store)
    system = Log({"c-003": [(lambda: move("response_cache", "cache_away"),)]})
    with pytest.raises(StoreBusy) as gave_up:
        execute_run(store, "priya", run_id, system=system)
    message, app = str(gave_up.value), gave_up.value.app
    assert message.startswith(f"could not store results of {run_id} (")
    assert message.endswith(
        f"); every result stored so far is kept: `pilot run --resume {run_id}` continues the run"
    )
    assert app is not None and app.startswith(f"Could not store results of {run_id} (")
    kept = rows(store, run_id)
    assert "c-003" in system.calls and "c-003" not in kept  # its commit was the first refused
    with store.read() as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone() == (
            "running",
        )
    move("cache_away", "response_cache")
    again = Log()
    outcome = execute_run(store, "priya", run_id, system=again)
    assert again.calls == [f"c-{i:03d}" for i in range(CASES) if f"c-{i:03d}" not in kept]
    assert (outcome.status, outcome.done) == ("finished", CASES)


def test_a_run_whose_lease_another_process_took_stops_calling_and_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While c-002 is being answered another process takes the run over (its lease row is
    replaced; here, removed). Once the heartbeat notices, this process makes no further call,
    stores nothing more and does not finish the run: it raises, naming the run and why."""
    from pilot.runs import lease as lease_module

    leases: list[lease_module.Lease] = []

    def acquire(*args: object, **kwargs: object) -> lease_module.Lease:
        held = lease_module.acquire(*args, stale_after=0.6, **kwargs)  # type: ignore[arg-type]
        leases.append(held)
        return held

    monkeypatch.setattr(execute_module, "acquire", acquire)

    async def taken_over() -> None:
        store.write(lambda con: con.execute("DELETE FROM run_leases"))
        for _ in range(1200):  # the heartbeat (every 0.1 s) notices; a minute at most
            if leases[0].lost:
                return
            await asyncio.sleep(0.05)

    run_id = new_run(store)
    system = Log({"c-002": [(taken_over,)]})
    with pytest.raises(RunBusy) as refused:
        execute_run(store, "priya", run_id, system=system)
    assert str(refused.value) == (
        f"run {run_id}: another process took over its lease (this one sent no heartbeat for "
        "1s); this process stopped calling and did not finish it"
    )
    assert system.calls == ["c-000", "c-001", "c-002"]
    with store.read() as con:
        status = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
    assert status == ("running",)


def test_a_no_cache_run_builds_its_system_and_calls_every_case_the_cache_holds(
    store: Store,
) -> None:
    """Every case is in the response cache from a first run; a second run with the cache off
    reads none of it, so it builds its system (none is handed in) and calls every case."""
    execute_run(store, "priya", new_run(store))
    off = RunOptions(concurrency=1, use_cache=False)
    again = prepare_run(store, "priya", goldenset="leave", config=OFFLINE, options=off)
    outcome = execute_run(store, "priya", again)
    assert (outcome.status, outcome.done, outcome.errors, outcome.cached) == (
        "finished",
        CASES,
        0,
        0,
    )
