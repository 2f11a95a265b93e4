"""Claude through the Message Batches API: one submission for a large golden set, polled to the
end, resumable by the batch id recorded before the first poll.

Cached cases are written first and never submitted. A run that stops while its batch is in
progress (crash, kill -9) resumes by polling the recorded batch instead of submitting again; the
kill switch cancels the batch at the next poll and halts the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

import duckdb

from pilot.core import audit, killswitch
from pilot.core.errors import InputError
from pilot.core.models import GoldenCase, SystemConfig, SystemOutput
from pilot.core.retry import GaveUp, RetryPolicy, async_retrying
from pilot.core.store import Store
from pilot.runs.context import RunContext, RunOptions
from pilot.runs.edge import payload_for
from pilot.runs.rows import ResultRow
from pilot.runs.systems.base import PermanentError
from pilot.runs.systems.registry import supports_batch
from pilot.runs.writer import Writer, record


def custom_id(case_id: str) -> str:
    """The API allows 1–64 characters of [A-Za-z0-9_-]; case ids may hold anything."""
    return "c" + hashlib.sha256(case_id.encode()).hexdigest()[:40]


def recorded_batch(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    row = con.execute(
        "SELECT batch_id FROM run_batches WHERE run_id = ? ORDER BY submitted_at DESC LIMIT 1",
        [run_id],
    ).fetchone()
    return row[0] if row else None


async def _submit(
    store: Store, run_id: str, client: Any, requests: list[dict[str, Any]], ids: list[str]
) -> str:
    batch = await client.messages.batches.create(requests=requests)

    def body(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "INSERT INTO run_batches VALUES (?, ?, ?, ?, ?)",
            [batch.id, run_id, audit.utc_now(), len(requests), json.dumps(ids)],
        )
        audit.record(
            con,
            "pilot",
            "system",
            "run.batch.submit",
            f"run:{run_id}",
            {"batch_id": batch.id, "requests": len(requests)},
        )

    store.write(body)
    return batch.id


async def _wait(store: Store, client: Any, batch_id: str, options: RunOptions) -> bool:
    """Poll until the batch ends; False (after cancelling it) when the kill switch is set."""
    import anthropic

    sentinel = killswitch.sentinel(store)
    policy = RetryPolicy(
        attempts=options.max_attempts + 1,
        base=options.backoff_base * 2,
        cap=options.backoff_cap,
        jitter=False,
    )
    transient = (
        anthropic.APIConnectionError,
        anthropic.RateLimitError,
        anthropic.InternalServerError,
    )
    while True:
        if sentinel.exists():
            await client.messages.batches.cancel(batch_id)
            return False
        try:
            async for attempt in async_retrying(policy, transient):
                with attempt:
                    batch = await client.messages.batches.retrieve(batch_id)
        except GaveUp as exc:
            raise exc.last from None
        if batch.processing_status == "ended":
            return True
        await asyncio.sleep(options.poll_interval)


MAX_ROUNDS = 3


async def _ingest(
    ctx: RunContext,
    writer: Writer,
    client: Any,
    batch_id: str,
    todo: list[GoldenCase],
    started: float,
) -> list[GoldenCase]:
    """Record each result of an ended batch; return the cases it has no answer for (their
    requests were cancelled or expired), so they can be submitted again."""
    from pilot.runs.systems.anthropic import parse_message, sent_sources

    by_custom = {custom_id(c.id): c for c in todo}
    answered: set[str] = set()
    latency = (time.perf_counter() - started) * 1000
    async for entry in await client.messages.batches.results(batch_id):
        case = by_custom.get(entry.custom_id)
        if case is None:
            continue  # answered before a resume, or not ours
        result = entry.result
        if result.type in ("canceled", "expired"):
            continue
        request, key, remap = ctx.prepared[case.id]
        output, error, cache_entry = None, None, None
        if result.type == "succeeded":
            try:
                parsed = parse_message(result.message, sent_sources(request))
            except (PermanentError, AttributeError, TypeError, ValueError) as exc:
                error = f"malformed batch result: {type(exc).__name__}: {exc}"
            else:
                cache_entry = ctx.cache_entry(key, parsed)
                output = remap(parsed)
        else:
            detail = getattr(getattr(result.error, "error", None), "message", "") or ""
            error = f"batch request errored: {detail}".strip()
        row = ResultRow.of(ctx.run_id, case.id, output, error, False, latency, 1, key)
        record(writer, ctx.progress, ctx.on_progress, row, cache_entry)
        answered.add(case.id)
    return [c for c in todo if c.id not in answered]


def refuse_unbatchable(config: SystemConfig) -> None:
    """Only Claude goes through the Message Batches API."""
    if not supports_batch(config):
        raise InputError(
            "--batch needs --system anthropic (the Message Batches API)",
            app="Only Claude runs can go through the Message Batches API.",
        )


async def execute_batch(ctx: RunContext) -> bool:
    refuse_unbatchable(ctx.config)  # a batch run registered some other way; prepare_run refuses
    writer = Writer(ctx.store, ctx.run_id)
    writer_task = asyncio.create_task(writer.loop())
    try:
        todo = []
        for case in ctx.cases:
            _, key, remap = ctx.prepared[case.id]
            hit = ctx.cached_output(key)
            if hit is not None:
                output = remap(SystemOutput.model_validate_json(hit))
                record(
                    writer,
                    ctx.progress,
                    ctx.on_progress,
                    ResultRow.of(ctx.run_id, case.id, output, None, True, 0.0, 0, key),
                    None,
                )
            elif ctx.options.cache_only:
                record(
                    writer,
                    ctx.progress,
                    ctx.on_progress,
                    ResultRow.of(
                        ctx.run_id,
                        case.id,
                        None,
                        "not in the response cache (replay)",
                        False,
                        0.0,
                        0,
                        key,
                    ),
                    None,
                )
            else:
                todo.append(case)
        if not todo:
            return True
        client = ctx.system.client()  # type: ignore[union-attr]
        with ctx.store.read() as con:
            batch_id = recorded_batch(con, ctx.run_id)
        remaining = todo
        for _ in range(MAX_ROUNDS):
            if batch_id is None:
                if killswitch.sentinel(ctx.store).exists():
                    return False
                requests = [
                    {
                        "custom_id": custom_id(c.id),
                        "params": payload_for(ctx.config, ctx.prepared[c.id][0]),
                    }
                    for c in remaining
                ]
                batch_id = await _submit(
                    ctx.store, ctx.run_id, client, requests, [c.id for c in remaining]
                )
            started = time.perf_counter()
            if not await _wait(ctx.store, client, batch_id, ctx.options):
                return False
            remaining = await _ingest(ctx, writer, client, batch_id, remaining, started)
            if not remaining:
                return True
            batch_id = None  # cancelled or expired requests go into a new batch
        for case in remaining:
            _, key, _ = ctx.prepared[case.id]
            row = ResultRow.of(
                ctx.run_id,
                case.id,
                None,
                f"no batch result after {MAX_ROUNDS} batches",
                False,
                0.0,
                MAX_ROUNDS,
                key,
            )
            record(writer, ctx.progress, ctx.on_progress, row, None)
        return True
    finally:
        await writer.close()
        await writer_task
        closer = getattr(ctx.system, "aclose", None)
        if closer:
            await closer()
        writer.raise_if_failed()
