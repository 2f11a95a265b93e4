"""Run a system config over a golden set version and keep every result.

Bounded concurrency with asyncio; each finished case is committed by one writer as soon as it
can (batched only when results arrive faster than the file can be opened), so a crash loses no
finished result and re-running the run resumes with the cases that have none. Transient failures
are retried with capped exponential backoff and jitter, honouring `retry-after`; a case that
still fails is recorded as an error, never dropped. The kill switch is checked before every call.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from pilot.core import audit, killswitch
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import Halted, InputError, StoreBusy
from pilot.core.models import GoldenCase, SystemConfig, SystemOutput, SystemRequest, content_hash
from pilot.core.store import Store
from pilot.runs.configs import register_config
from pilot.runs.edge import Remap, load_edge
from pilot.runs.manifest import build_manifest
from pilot.runs.systems.base import PermanentError, System, TransientError


@dataclass(frozen=True)
class RunOptions:
    concurrency: int = 16
    use_cache: bool = True
    cache_only: bool = False  # replay: never call the system
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    call_timeout: float = 120.0
    seed: int = 0
    batch: bool = False  # Claude only: submit through the Message Batches API
    poll_interval: float = 30.0  # seconds between batch status checks

    def resolved(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Progress:
    total: int
    done: int = 0
    errors: int = 0
    cached: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    status: str  # finished | halted
    total: int
    done: int
    errors: int
    cached: int


def cache_key(config: SystemConfig, payload: dict[str, Any]) -> str:
    """System config (kind, model, parameters, prompt) plus the exact request content."""
    return content_hash({"config": config.model_dump(mode="json"), "request": payload})


def create_run(
    store: Store,
    user: Who,
    goldenset_version: str,
    config: SystemConfig,
    *,
    options: RunOptions = RunOptions(),
    bar_version: int | None = None,
    replay_of: str | None = None,
    label: str = "",
) -> str:
    """Register the config and the run (status 'running') with its manifest; audited."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> str:
        case_ids = [
            r[0]
            for r in con.execute(
                "SELECT case_id FROM golden_cases WHERE version = ? ORDER BY position",
                [goldenset_version],
            ).fetchall()
        ]
        if not case_ids:
            raise InputError(f"golden set version {goldenset_version!r} has no cases")
        config_version = register_config(con, actor, config, label)
        run_id = "run-" + uuid.uuid4().hex[:12]
        manifest = build_manifest(con, goldenset_version, config, bar_version, options, case_ids)
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, 'running', ?, ?, NULL, ?, ?, ?, NULL)",
            [
                run_id,
                goldenset_version,
                config_version,
                bar_version,
                len(case_ids),
                audit.utc_now(),
                actor.name,
                replay_of,
                json.dumps(manifest),
            ],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "run.start",
            f"run:{run_id}",
            {
                "goldenset_version": goldenset_version,
                "config_version": config_version,
                "bar_version": bar_version,
                "replay_of": replay_of,
                "options": options.resolved(),
            },
        )
        return run_id

    return write_as(store, user, "run", "run.start", f"goldenset:{goldenset_version}", body)


COALESCE_SECONDS = 0.05
RESULT_COLUMNS = (
    "run_id",
    "case_id",
    "answer",
    "abstained",
    "claims",
    "citations",
    "error",
    "cached",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "model",
    "stop_reason",
    "attempts",
    "request_hash",
    "finished_at",
)
RESULT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("case_id", pa.string()),
        ("answer", pa.string()),
        ("abstained", pa.bool_()),
        ("claims", pa.string()),
        ("citations", pa.string()),
        ("error", pa.string()),
        ("cached", pa.bool_()),
        ("latency_ms", pa.float64()),
        ("input_tokens", pa.int32()),
        ("output_tokens", pa.int32()),
        ("cost_usd", pa.float64()),
        ("model", pa.string()),
        ("stop_reason", pa.string()),
        ("attempts", pa.int32()),
        ("request_hash", pa.string()),
        ("finished_at", pa.string()),
    ]
)
CACHE_SCHEMA = pa.schema(
    [("key", pa.string()), ("output", pa.string()), ("created_at", pa.string())]
)


class _Writer:
    """The one writer: opens the file only while it has results to commit."""

    def __init__(self, store: Store, run_id: str):
        self.store, self.run_id = store, run_id
        self.pending: list[tuple[list[Any], tuple[str, str] | None]] = []
        self.wake = asyncio.Event()
        self.closed = False
        self.halted_in_db = False
        self.failing = False  # the last commit failed: callers wait before the next call
        self.error: Exception | None = None  # gave up: no further call may be made

    def add(self, row: list[Any], cache_entry: tuple[str, str] | None) -> None:
        self.pending.append((row, cache_entry))
        self.wake.set()

    async def ready(self) -> bool:
        """Wait while commits are failing; False once the writer has given up."""
        while self.failing and self.error is None:
            await asyncio.sleep(0.05)
        return self.error is None

    async def loop(self, attempts: int = 8) -> None:
        """Commit what is pending; a failed commit keeps its rows and is retried with backoff,
        so a busy file (or any other failure) loses no finished result."""
        failures = 0
        while True:
            await self.wake.wait()
            if not self.closed:
                # Results of concurrent calls finish together: gather the rest of the wave
                # so one open-commit-close of the file stores it (each costs ~20-30 ms of CPU).
                await asyncio.sleep(COALESCE_SECONDS)
            self.wake.clear()
            batch, self.pending = self.pending, []
            if batch:
                try:
                    await asyncio.to_thread(self._flush, batch)
                    failures, self.failing = 0, False
                except Exception as exc:
                    self.pending = batch + self.pending
                    failures += 1
                    self.failing = True
                    if failures >= attempts:
                        self.error = exc
                        return
                    await asyncio.sleep(min(5.0, 0.1 * 2**failures))
                    self.wake.set()
                    continue
            if self.closed and not self.pending:
                return

    def _flush(self, batch: Sequence[tuple[list[Any], tuple[str, str] | None]]) -> None:
        """Commit a batch as Arrow tables: one statement per table, not one per row."""
        rows = pa.Table.from_pylist(
            [dict(zip(RESULT_COLUMNS, row, strict=True)) for row, _ in batch],
            schema=RESULT_SCHEMA,
        )
        now = audit.utc_now()
        cache = pa.Table.from_pylist(
            [{"key": k, "output": v, "created_at": now} for _, e in batch if e for k, v in [e]],
            schema=CACHE_SCHEMA,
        )

        def body(con: duckdb.DuckDBPyConnection) -> None:
            con.register("batch_rows", rows)
            con.register("batch_cache", cache)
            columns = ", ".join(RESULT_COLUMNS)
            con.execute(
                f"INSERT INTO results ({columns}) SELECT {columns} FROM batch_rows "
                "ON CONFLICT DO NOTHING"
            )
            con.execute(
                "INSERT INTO response_cache SELECT key, output, created_at FROM batch_cache "
                "ON CONFLICT DO NOTHING"
            )
            con.unregister("batch_rows")
            con.unregister("batch_cache")
            self.halted_in_db = killswitch.state(con).engaged

        self.store.write(body)

    async def close(self) -> None:
        self.closed = True
        self.wake.set()

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise StoreBusy(
                f"could not store results of {self.run_id} ({self.error}); every result stored "
                f"so far is kept: `pilot run --resume {self.run_id}` continues the run"
            )


Prepared = tuple[SystemRequest, str, Remap]  # what leaves, its cache key, the way back


class _Halt(Exception):
    pass


@dataclass
class RunContext:
    """Everything one execution of a run works with, resolved before the first call."""

    store: Store
    run_id: str
    config: SystemConfig
    cases: list[GoldenCase]  # the cases still without a stored result
    prepared: dict[str, Prepared]
    cache: dict[str, str]
    system: System | None
    options: RunOptions
    progress: Progress
    on_progress: ProgressFn | None


async def _execute(ctx: RunContext) -> bool:
    """Answer every case; returns False when the kill switch halted the run."""
    rng = random.Random(ctx.options.seed)
    sentinel = killswitch.sentinel(ctx.store)
    writer = _Writer(ctx.store, ctx.run_id)
    writer_task = asyncio.create_task(writer.loop())
    sem = asyncio.Semaphore(ctx.options.concurrency)
    halted = False

    def stop_now() -> bool:
        return halted or writer.halted_in_db or sentinel.exists()

    async def call(request: Any) -> tuple[SystemOutput | None, str | None, int]:
        assert ctx.system is not None
        for attempt in range(1, ctx.options.max_attempts + 1):
            if stop_now():
                raise _Halt
            try:
                output = await asyncio.wait_for(
                    ctx.system.answer(request), ctx.options.call_timeout
                )
                return output, None, attempt
            except TimeoutError:
                failure: Exception = TransientError("timed out")
            except TransientError as exc:
                failure = exc
            except PermanentError as exc:
                return None, str(exc), attempt
            except Exception as exc:  # a callable system's own bug is that case's error
                return None, f"{type(exc).__name__}: {exc}", attempt
            if attempt == ctx.options.max_attempts:
                return None, f"gave up after {attempt} attempts: {failure}", attempt
            delay = min(ctx.options.backoff_cap, ctx.options.backoff_base * 2 ** (attempt - 1))
            delay *= 0.5 + rng.random()
            retry_after = getattr(failure, "retry_after", None)
            if retry_after:
                delay = max(delay, min(float(retry_after), ctx.options.backoff_cap))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def one(case: GoldenCase) -> None:
        nonlocal halted
        async with sem:
            if not await writer.ready():
                return
            if stop_now():
                halted = True
                return
            request, key, remap = ctx.prepared[case.id]
            started = time.perf_counter()
            cached_json = (
                ctx.cache.get(key) if ctx.options.use_cache or ctx.options.cache_only else None
            )
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
                    entry = (key, output.model_dump_json())
            latency = (time.perf_counter() - started) * 1000
            if output is not None:
                output = remap(output)
            row = _row(ctx.run_id, case.id, output, error, cached, latency, attempts, key)
            record(writer, ctx.progress, ctx.on_progress, row, entry)

    try:
        await asyncio.gather(*(one(c) for c in ctx.cases))
    finally:
        await writer.close()
        await writer_task
        closer = getattr(ctx.system, "aclose", None)
        if closer:
            await closer()
    writer.raise_if_failed()
    return not (halted or writer.halted_in_db)


def record(
    writer: _Writer,
    progress: Progress,
    on_progress: ProgressFn | None,
    row: list[Any],
    entry: tuple[str, str] | None,
) -> None:
    """Hand a finished case to the writer and count it."""
    writer.add(row, entry)
    progress.done += 1
    progress.errors += row[6] is not None
    progress.cached += row[7]
    if on_progress:
        on_progress(progress)


def _row(
    run_id: str,
    case_id: str,
    output: SystemOutput | None,
    error: str | None,
    cached: bool,
    latency_ms: float,
    attempts: int,
    key: str,
) -> list[Any]:
    if output is None:
        return [
            run_id,
            case_id,
            None,
            False,
            "[]",
            "[]",
            error,
            cached,
            latency_ms,
            0,
            0,
            0.0,
            None,
            None,
            attempts,
            key,
            audit.utc_now(),
        ]
    return [
        run_id,
        case_id,
        output.answer,
        output.abstained,
        json.dumps(list(output.claims)),
        json.dumps([c.model_dump() for c in output.citations]),
        error,
        cached,
        latency_ms,
        output.input_tokens,
        output.output_tokens,
        output.cost_usd,
        output.model,
        output.stop_reason,
        attempts,
        key,
        audit.utc_now(),
    ]


def execute_run(
    store: Store,
    user: Who,
    run_id: str,
    *,
    options: RunOptions | None = None,
    system: System | None = None,
    system_kwargs: dict[str, Any] | None = None,
    on_progress: ProgressFn | None = None,
) -> RunOutcome:
    """Run (or resume) `run_id`: only cases without a stored result are called."""
    from pilot.goldensets.versions import load_cases
    from pilot.runs.configs import load_config
    from pilot.runs.scoring import finish_run

    with store.read() as con:
        actor = _authorise(con, user)
        row = con.execute(
            "SELECT goldenset_version, config_version, status, manifest FROM runs WHERE run_id = ?",
            [run_id],
        ).fetchone()
        if not row:
            raise InputError(f"no run {run_id!r}")
        goldenset_version, config_version, status, manifest = row
        if status == "finished":
            raise InputError(f"run {run_id} is already finished")
        killswitch.check(con)
        config = load_config(con, config_version)
        cases = load_cases(con, goldenset_version)
        finished = {
            r[0]
            for r in con.execute(
                "SELECT case_id FROM results WHERE run_id = ?", [run_id]
            ).fetchall()
        }
        edge = load_edge(con)
        options = options or RunOptions(**json.loads(manifest)["settings"])
        pending = [c for c in cases if c.id not in finished]
        prepared = {}
        for case in pending:
            request, payload, remap = edge.prepare(case, config)
            prepared[case.id] = (request, cache_key(config, payload), remap)
        keys = [key for _, key, _ in prepared.values()]
        cache = _load_cache(con, keys) if (options.use_cache or options.cache_only) else {}
    if system is None and not options.cache_only and len(cache) < len(pending):
        from pilot.runs.systems.registry import make_system

        try:
            system = make_system(config, **(system_kwargs or {}))
        except PermanentError as exc:
            _mark(store, actor, run_id, "failed", {"reason": str(exc)})
            raise InputError(
                f"{exc} (run {run_id} is kept; `pilot run --resume {run_id}` "
                "continues it once fixed)"
            ) from None
    progress = Progress(total=len(cases), done=len(finished))
    if status != "running" or finished:
        _mark(
            store,
            actor,
            run_id,
            "running",
            {"resumed_from": status, "done": len(finished), "total": len(cases)},
            action="run.resume",
        )
    ctx = RunContext(
        store, run_id, config, pending, prepared, cache, system, options, progress, on_progress
    )
    if options.batch:
        from pilot.runs.batch import execute_batch

        completed = asyncio.run(execute_batch(ctx))
    else:
        completed = asyncio.run(_execute(ctx))
    if not completed:
        _mark_halted(store, actor, run_id, progress)
        return RunOutcome(
            run_id, "halted", progress.total, progress.done, progress.errors, progress.cached
        )
    try:
        _judge_if_needed(store, run_id, system_kwargs)
    except Halted:
        _mark_halted(store, actor, run_id, progress)
        return RunOutcome(
            run_id, "halted", progress.total, progress.done, progress.errors, progress.cached
        )
    finish_run(store, actor, run_id)
    return RunOutcome(
        run_id, "finished", progress.total, progress.done, progress.errors, progress.cached
    )


def _judge_if_needed(store: Store, run_id: str, client_kwargs: dict[str, Any] | None) -> None:
    """Under a bar whose match rule is the LLM judge, judge every answered result first."""
    from pilot.runs.judging import judge_run
    from pilot.runs.scoring import match_rule_for_run

    with store.read() as con:
        rule = match_rule_for_run(con, run_id)
    if rule.rule == "judge":
        judge_run(store, run_id, rule, client_kwargs)


def _authorise(con: duckdb.DuckDBPyConnection, user: Who) -> Actor:
    from pilot.core.access import require

    return require(con, user, "run")


def _load_cache(con: duckdb.DuckDBPyConnection, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    import polars as pl

    wanted = pl.DataFrame({"key": keys})  # noqa: F841 (read by DuckDB's replacement scan)
    rows = con.execute(
        "SELECT c.key, c.output FROM response_cache c JOIN wanted w ON c.key = w.key"
    ).fetchall()
    return dict(rows)


def _mark(
    store: Store,
    actor: Actor,
    run_id: str,
    status: str,
    payload: dict[str, Any],
    action: str | None = None,
) -> None:
    def body(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("UPDATE runs SET status = ? WHERE run_id = ?", [status, run_id])
        audit.record_as(con, actor, action or f"run.{status}", f"run:{run_id}", payload)

    store.write(body)


def _mark_halted(store: Store, actor: Actor, run_id: str, progress: Progress) -> None:
    _mark(store, actor, run_id, "halted", {"done": progress.done, "total": progress.total})


__all__ = [
    "Halted",
    "Progress",
    "RunOptions",
    "RunOutcome",
    "cache_key",
    "create_run",
    "execute_run",
]
