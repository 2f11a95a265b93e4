"""Run a system config over a golden set version and keep every result.

Bounded concurrency with asyncio; each finished case is committed by the one writer
(`pilot.runs.writer`) as soon as it can, so a crash loses no finished result and re-running the
run resumes with the cases that have none. Transient failures are retried under the one retry
policy (`pilot.core.retry`: capped exponential backoff with jitter, honouring `retry-after`, the
kill switch checked before every attempt); a case that still fails is recorded as an error,
never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from typing import Any

from pilot.core import killswitch
from pilot.core.access import Who, require
from pilot.core.errors import Halted, InputError, RunBusy
from pilot.core.models import GoldenCase, SystemOutput
from pilot.core.retry import AsyncRetrier, GaveUp, RetryPolicy
from pilot.core.store import Store
from pilot.goldensets.versions import load_cases
from pilot.runs.batch import execute_batch
from pilot.runs.cache import cache_key, cache_keyer, load_cache, stored_keys
from pilot.runs.configs import load_config
from pilot.runs.context import Progress, ProgressFn, RunContext, RunOptions, RunOutcome
from pilot.runs.edge import load_edge
from pilot.runs.finish import finish_run
from pilot.runs.lease import Lease, acquire
from pilot.runs.preload import SCORING, preload
from pilot.runs.register import create_run, mark, mark_halted
from pilot.runs.rows import ResultRow
from pilot.runs.run import RunStatus, load_run
from pilot.runs.run_bar import match_rule_for_run
from pilot.runs.systems.base import PermanentError, System, TransientError
from pilot.runs.systems.connection import Connection
from pilot.runs.systems.registry import make_system
from pilot.runs.writer import Writer, record

# A fully cached run of at most this many cases keeps the file it holds for its bookkeeping
# open while its answers are stored (no network wait; ~0.1 ms a case, so well under the
# writer's HOLD_SECONDS): its commits then share that open database instead of opening and
# closing (checkpointing) the file again.
HELD_CACHED_CASES = 2000


class _Halt(Exception):
    pass


async def _execute(ctx: RunContext) -> bool:
    """Answer every case; returns False when the kill switch halted the run."""
    rng = random.Random(ctx.options.seed)
    # checked before every call: os.path.exists on a str, cheaper than pathlib's exists()
    sentinel = str(killswitch.sentinel(ctx.store))
    writer = Writer(ctx.store, ctx.run_id)
    writer_task = asyncio.create_task(writer.loop())
    sem = asyncio.Semaphore(ctx.options.concurrency)
    halted = False

    def stop_now() -> bool:
        return halted or writer.halted_in_db or os.path.exists(sentinel) or ctx.lease_lost()

    def halt() -> None:
        if stop_now():
            raise _Halt

    policy = RetryPolicy(
        attempts=ctx.options.max_attempts,
        base=ctx.options.backoff_base,
        cap=ctx.options.backoff_cap,
        rng=rng,
    )
    retrier = AsyncRetrier(policy, (TransientError,), halt=halt)

    async def call(request: Any) -> tuple[SystemOutput | None, str | None, int]:
        """The system's answer, retried under the policy; a failure is the case's error."""
        system = ctx.system
        assert system is not None
        attempt_number = 0

        def numbered(n: int) -> None:
            nonlocal attempt_number
            attempt_number = n

        async def attempt() -> SystemOutput:
            try:
                # asyncio.timeout, not wait_for: no extra task per call
                async with asyncio.timeout(ctx.options.call_timeout):
                    return await system.answer(request)
            except TimeoutError:
                raise TransientError("timed out") from None

        try:
            return await retrier.call(attempt, numbered), None, attempt_number
        except GaveUp as exc:
            return None, str(exc), exc.attempts
        except PermanentError as exc:
            return None, str(exc), attempt_number
        except _Halt:
            raise
        except Exception as exc:  # a callable system's own bug is that case's error
            return None, f"{type(exc).__name__}: {exc}", attempt_number

    async def one(case: GoldenCase) -> None:
        async with sem:
            writer.begin()
            try:
                await answer(case)
            finally:
                writer.end()

    async def answer(case: GoldenCase) -> None:
        nonlocal halted
        if not await writer.ready():
            return
        if stop_now():
            halted = True
            return
        request, key, remap = ctx.prepared[case.id]
        started = time.perf_counter()
        cached_json = ctx.cached_output(key)
        entry = None
        attempts = 0
        if cached_json is not None:
            output, error, cached = SystemOutput.model_validate_json(cached_json), None, True
        elif ctx.options.cache_only:
            output, error, cached = None, "not in the response cache (replay)", False
        else:
            try:
                output, error, attempts = await call(request)
            except _Halt:
                halted = True
                return
            cached = False
            if output is not None:
                entry = ctx.cache_entry(key, output)
        latency = (time.perf_counter() - started) * 1000
        if output is not None:
            output = remap(output)
        row = ResultRow.of(ctx.run_id, case.id, output, error, cached, latency, attempts, key)
        record(writer, ctx.progress, ctx.on_progress, row, entry)

    try:
        await asyncio.gather(*(one(c) for c in ctx.cases))
    finally:
        await writer.close(hand_over=True)
        await writer_task
        ctx.held = writer.handed_over
        closer = getattr(ctx.system, "aclose", None)
        if closer:
            await closer()
    writer.raise_if_failed()
    return not (halted or writer.halted_in_db)


def execute_run(
    store: Store,
    user: Who,
    run_id: str,
    *,
    options: RunOptions | None = None,
    system: System | None = None,
    connection: Connection | None = None,
    on_progress: ProgressFn | None = None,
    held: contextlib.AbstractContextManager[object] | None = None,
) -> RunOutcome:
    """Run (or resume) `run_id`: only cases without a stored result are called. `system`, when
    given, is used as it is (the caller built it); otherwise it is built here, once, and only
    when some case is not in the cache. The run's lease is held throughout: a second execution
    of the same run while this one lives is refused (`RunBusy`, naming this owner). `held`: the
    caller's open hold on the file (`Store.held`, entered), taken over and released here."""
    with contextlib.ExitStack() as hold:
        # The file is held open across the bookkeeping before and after the calls (they then
        # share one open database), and released while the cases are answered.
        if held is not None:
            hold.push(held.__exit__)  # the caller's: now released with this one
        hold.enter_context(store.held())
        lease = acquire(store, user, run_id)
        try:
            return _execute_owned(
                store, user, run_id, lease, options, system, connection, on_progress, hold
            )
        finally:
            lease.release()


def _execute_owned(
    store: Store,
    user: Who,
    run_id: str,
    lease: Lease,
    options: RunOptions | None,
    system: System | None,
    connection: Connection | None,
    on_progress: ProgressFn | None,
    hold: contextlib.ExitStack,
) -> RunOutcome:
    with store.read() as con:
        actor = require(con, user, "run")
        run = load_run(con, run_id)
        if run is None:
            raise InputError(f"no run {run_id!r}")
        status = run.status
        if status is RunStatus.FINISHED:
            raise InputError(f"run {run_id} is already finished")
        killswitch.check(con)
        config = load_config(con, run.config_version)
        cases = load_cases(con, run.goldenset_version)
        stored = con.execute(
            "SELECT case_id, error FROM results WHERE run_id = ?", [run_id]
        ).fetchall()
        # An inconclusive run is resumed to call its errored cases again.
        inconclusive = status is RunStatus.INCONCLUSIVE
        retry = sorted(c for c, e in stored if e is not None) if inconclusive else []
        finished = {c for c, _ in stored} - set(retry)
        edge = load_edge(con)
        options = options or RunOptions(**run.manifest.settings)
        pending = [c for c in cases if c.id not in finished]
        prepared = {}
        key_of = cache_keyer(config)
        for case in pending:
            request, payload, remap = edge.prepare(case, config)
            prepared[case.id] = (request, key_of(payload), remap)
        keys = [key for _, key, _ in prepared.values()]
        reads_cache = options.use_cache or options.cache_only
        cache = load_cache(con, keys) if reads_cache else {}
        stored = frozenset(cache) if reads_cache else stored_keys(con, keys)
    if system is None and not options.cache_only and len(cache) < len(pending):
        try:
            system = make_system(config, connection)
        except PermanentError as exc:
            mark(store, actor, run_id, RunStatus.FAILED, {"reason": str(exc)})
            raise InputError(
                f"{exc} (run {run_id} is kept; `pilot run --resume {run_id}` "
                "continues it once fixed)",
                app=f"{str(exc).rstrip('.')}. Run {run_id} is kept: resume it on the Runs page once "
                "that is fixed.",
            ) from None
    progress = Progress(total=len(cases), done=len(finished))
    if status is not RunStatus.RUNNING or finished:
        mark(
            store,
            actor,
            run_id,
            RunStatus.RUNNING,
            {
                "resumed_from": status.value,
                "done": len(finished),
                "total": len(cases),
                **({"retried_errors": retry} if retry else {}),
            },
            action="run.resume",
            forget=retry,
        )
    ctx = RunContext(
        store, run_id, config, pending, prepared, cache, system, options, progress, on_progress
    )
    ctx.lease_lost = lambda: lease.lost
    ctx.stored = stored
    runner = execute_batch if options.batch else _execute
    calls = len(cache) < len(pending)
    if calls or options.batch or len(pending) > HELD_CACHED_CASES:
        hold.close()  # the writer holds the file only while it commits
    if calls:  # calls to make: their network waits hide these imports
        preload(*getattr(system, "SDK_MODULES", ()), *SCORING)
    try:
        completed = asyncio.run(runner(ctx))
    finally:
        if ctx.held is not None:  # the writer's open database, still held after its last commit
            hold.callback(ctx.held.close)  # closed with the rest, even when the run raised
    if lease.lost:
        raise RunBusy(
            f"run {run_id}: another process took over its lease (this one sent no heartbeat "
            f"for {lease.stale_after:.0f}s); this process stopped calling and did not finish it"
        )
    if ctx.held is None:  # the bookkeeping after the calls shares one open file
        hold.enter_context(store.held())
    if completed:
        try:
            _judge_if_needed(store, run_id, connection, hold)
        except Halted:
            completed = False
    if not completed:
        mark_halted(store, actor, run_id, progress)
        return RunOutcome(
            run_id,
            RunStatus.HALTED,
            progress.total,
            progress.done,
            progress.errors,
            progress.cached,
        )
    summary = finish_run(store, actor, run_id)
    ended = RunStatus.INCONCLUSIVE if summary["verdict"].get("inconclusive") else RunStatus.FINISHED
    with store.read() as con:  # still held: the report reads this, not the file again
        record = load_run(con, run_id)
    return RunOutcome(
        run_id, ended, progress.total, progress.done, progress.errors, progress.cached, record
    )


def _judge_if_needed(
    store: Store, run_id: str, connection: Connection | None, hold: contextlib.ExitStack
) -> None:
    """Under a bar whose match rule is the LLM judge, judge every answered result first, with
    the file released (never held across a network wait) and held again after."""
    with store.read() as con:
        rule = match_rule_for_run(con, run_id)
    if rule.rule == "judge":
        from pilot.runs.judging import judge_run

        hold.close()
        judge_run(store, run_id, rule, connection)
        hold.enter_context(store.held())


__all__ = [
    "Halted",
    "Progress",
    "ProgressFn",
    "RunOptions",
    "RunOutcome",
    "cache_key",
    "create_run",
    "execute_run",
]
