"""The one writer: finished results go to a single task that opens the file (in a worker thread)
only while it has something to commit, gathering a wave of concurrent results into one commit.

A failed commit keeps its rows and is retried under the one retry policy (`pilot.core.retry`),
so a busy file loses no finished result; after `attempts` failures the writer gives up and no
further call is made. The writer does not stop for the kill switch: what finished is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from pilot.core import audit, killswitch
from pilot.core.errors import StoreBusy
from pilot.core.retry import GaveUp, RetryPolicy, async_retrying
from pilot.core.store import Store
from pilot.runs.context import Progress, ProgressFn
from pilot.runs.rows import CACHE_SCHEMA, RESULT_COLUMNS, ResultRow, rows_table

COALESCE_SECONDS = 0.05
CacheEntry = tuple[str, str]  # request hash, output JSON


class Writer:
    """Commits results (and their cache entries) of one run."""

    def __init__(self, store: Store, run_id: str):
        self.store, self.run_id = store, run_id
        self.pending: list[tuple[ResultRow, CacheEntry | None]] = []
        self.wake = asyncio.Event()
        self.closed = False
        self.halted_in_db = False
        self.failing = False  # the last commit failed: callers wait before the next call
        self.error: Exception | None = None  # gave up: no further call may be made

    def add(self, row: ResultRow, cache_entry: CacheEntry | None) -> None:
        self.pending.append((row, cache_entry))
        self.wake.set()

    async def ready(self) -> bool:
        """Wait while commits are failing; False once the writer has given up."""
        while self.failing and self.error is None:
            await asyncio.sleep(0.05)
        return self.error is None

    async def loop(self, attempts: int = 8) -> None:
        """Commit what is pending; a failed commit keeps its rows and is retried under the
        retry policy, so a busy file (or any other failure) loses no finished result."""
        policy = RetryPolicy(attempts=attempts, base=0.2, cap=5.0, jitter=False)

        def failed(_attempt: int, _error: BaseException) -> None:
            self.failing = True  # callers wait before their next call

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
                    async for attempt in async_retrying(policy, (Exception,), on_retry=failed):
                        with attempt:
                            await asyncio.to_thread(self._flush, batch)
                except GaveUp as exc:
                    self.pending = batch + self.pending
                    self.error = exc.last  # type: ignore[assignment]
                    return
                self.failing = False
            if self.closed and not self.pending:
                return

    def _flush(self, batch: Sequence[tuple[ResultRow, CacheEntry | None]]) -> None:
        """Commit a batch as Arrow tables: one statement per table, not one per row."""
        rows = rows_table([row for row, _ in batch])
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


def record(
    writer: Writer,
    progress: Progress,
    on_progress: ProgressFn | None,
    row: ResultRow,
    entry: CacheEntry | None,
) -> None:
    """Hand a finished case to the writer and count it."""
    writer.add(row, entry)
    progress.done += 1
    progress.errors += row.error is not None
    progress.cached += row.cached
    if on_progress:
        on_progress(progress)
