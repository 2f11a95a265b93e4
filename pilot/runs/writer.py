"""The one writer: finished results go to a single task that opens the file (in a worker thread)
only while it has something to commit, gathering a wave of concurrent results into one commit.

A failed commit keeps its rows and is retried under the one retry policy (`pilot.core.retry`),
so a busy file loses no finished result; after `attempts` failures the writer gives up and no
further call is made. The writer does not stop for the kill switch: what finished is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence

import duckdb

from pilot.core import audit, killswitch
from pilot.core.errors import StoreBusy
from pilot.core.retry import GaveUp, RetryPolicy, async_retrying
from pilot.core.store import Store
from pilot.runs.context import Progress, ProgressFn
from pilot.runs.rows import (
    RESULT_COLUMNS,
    RESULT_TYPES,
    ResultRow,
    columns_of,
    insert_sql,
    row_values,
)

COALESCE_SECONDS = 0.08  # a wave gathers this long at most (was 0.03: ~2x the commits)
# While the file is others' turn a commit would open and close it (10-30 ms more CPU than a
# commit on the held file, most of it the checkpoint on close), so a wave then gathers until
# the turn is over (TURN_SECONDS at most) and is committed on the file held again; others find
# the file free throughout their turn. A finished answer waits at most the turn and one commit
# (it waited 0.25 s, with two commits a turn that opened the file: issue #14).
MAX_COMMITS = 3
CACHE_COLUMNS = ("key", "output", "created_at")
RESULTS_INSERT = insert_sql("results", RESULT_COLUMNS, RESULT_TYPES)
CACHE_INSERT = insert_sql("response_cache", CACHE_COLUMNS, ("VARCHAR",) * 3)
# The same without ON CONFLICT: what a commit tries first. A result or cache key already stored
# (a run another process took over, two cases sending the same request) makes it raise; the
# commit is then retried with the statements above, and so is every later commit of the run.
RESULTS_APPEND = insert_sql("results", RESULT_COLUMNS, RESULT_TYPES, skip_stored=False)
CACHE_APPEND = insert_sql("response_cache", CACHE_COLUMNS, ("VARCHAR",) * 3, skip_stored=False)
# Back-to-back commits share one open database (a commit then costs ~2 ms of CPU, not the
# ~20 ms of opening and closing the file); the file is released once the writer has had nothing
# to commit for IDLE_RELEASE_SECONDS, and after HOLD_SECONDS of holding it, commits open and close it themselves for
# TURN_SECONDS, so another process (the app, `pilot kill`, a second resume) gets its turn.
HOLD_SECONDS = 0.5
TURN_SECONDS = 0.5
IDLE_RELEASE_SECONDS = 0.05  # idle this long (nothing pending or committing): release the file
# A failed commit is tried again after 0.2 s, doubling up to 5 s: 8 attempts wait about 16 s in
# all before the writer gives up (long enough for another process's write to finish).
COMMIT_ATTEMPTS = 8
COMMIT_BACKOFF = (0.2, 5.0)  # first wait, longest wait (seconds)
CacheEntry = tuple[str, str]  # request hash, output JSON
APPENDS = (RESULTS_APPEND, CACHE_APPEND)


class Writer:
    """Commits results (and their cache entries) of one run."""

    def __init__(self, store: Store, run_id: str):
        self.store, self.run_id = store, run_id
        self.pending: list[tuple[ResultRow, CacheEntry | None]] = []
        self.first_pending_at = 0.0  # monotonic time the oldest uncommitted result arrived
        self.in_flight = 0  # cases being answered whose result has not reached the writer
        self.wake = asyncio.Event()
        self.closed = False
        self.halted_in_db = False
        self.failing = False  # the last commit failed: callers wait before the next call
        self.error: Exception | None = None  # gave up: no further call may be made
        self._keeper: duckdb.DuckDBPyConnection | None = None  # holds the file open
        self._keeper_lock = threading.Lock()
        self._held_since = 0.0
        self._hold_again_at = 0.0
        self._skip_stored = False  # a commit met a stored row: commit with ON CONFLICT from now
        # `close(hand_over=True)`: the file still held at the end is kept open for the caller
        # (`handed_over`), which has bookkeeping to do on it at once: not closed (checkpointed)
        # here and opened again there.
        self.hand_over = False
        self.handed_over: duckdb.DuckDBPyConnection | None = None

    def add(self, row: ResultRow, cache_entry: CacheEntry | None) -> None:
        if not self.pending:
            self.first_pending_at = time.monotonic()
        self.pending.append((row, cache_entry))
        self.wake.set()

    def begin(self) -> None:
        """A case is being answered: its result may join the wave being gathered."""
        self.in_flight += 1

    def end(self) -> None:
        """That case's result was handed over with `add`, or it ended without one."""
        self.in_flight -= 1
        self.wake.set()

    def _wave_open(self) -> float:
        """Seconds still worth waiting for more of the wave: 0 when nothing is in flight or the
        writer is closing; while the file is others' turn, until the turn is over; otherwise
        until the oldest pending result has waited `COALESCE_SECONDS`."""
        if self.closed or self.in_flight <= 0:
            return 0.0
        now = time.monotonic()
        if self._keeper is None and now < self._hold_again_at:  # others' turn
            return self._hold_again_at - now
        return max(0.0, self.first_pending_at + COALESCE_SECONDS - now)

    async def ready(self) -> bool:
        """Wait while commits are failing; False once the writer has given up."""
        while self.failing and self.error is None:
            await asyncio.sleep(0.05)
        return self.error is None

    async def loop(self, attempts: int = COMMIT_ATTEMPTS) -> None:
        """Commit what is pending; a failed commit keeps its rows and is retried under the
        retry policy, so a busy file (or any other failure) loses no finished result.

        A wave ready to commit does not wait for the commit in progress: up to `MAX_COMMITS`
        run at once (connections of one process share the open database, and their
        transactions insert different rows), so an answer waits for one commit, not two.
        While a commit is failing, no other starts.
        """
        base, cap = COMMIT_BACKOFF
        policy = RetryPolicy(attempts=attempts, base=base, cap=cap, jitter=False)
        commits: set[asyncio.Task[None]] = set()

        def failed(_attempt: int, _error: BaseException) -> None:
            self.failing = True  # callers wait before their next call

        async def commit(batch: list[tuple[ResultRow, CacheEntry | None]]) -> None:
            try:
                async for attempt in async_retrying(policy, (Exception,), on_retry=failed):
                    with attempt:
                        await asyncio.to_thread(self._flush, batch)
                self.failing = False
            except GaveUp as exc:
                self.pending = batch + self.pending
                self.error = exc.last  # type: ignore[assignment]

        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.error is not None:
                break
            wait = self._wave_open() if self.pending else 0.0
            if wait > 0:
                # Results of concurrent calls finish together: gather the rest of the wave so
                # one open-commit-close of the file stores it (each costs 20-30 ms of CPU),
                # but only while more can come and never past the deadline.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), wait)
                self.wake.set()  # re-evaluate: the wave may be complete now
                continue
            busy = len(commits) >= (1 if self.failing else MAX_COMMITS)
            if self.pending and not busy:
                batch, self.pending = self.pending, []
                task = asyncio.create_task(commit(batch))
                commits.add(task)
                task.add_done_callback(self._commit_done(commits))
                continue
            if not self.pending and not commits and self._keeper is not None:
                if self.closed and self.hand_over:
                    self._hand_over()
                    return
                if not self.closed:
                    # Nothing to commit: release the file unless more comes at once (closing
                    # it costs a checkpoint, and an answer would wait for that close).
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.wake.wait(), IDLE_RELEASE_SECONDS)
                    if self.wake.is_set():
                        continue
                await asyncio.to_thread(self._release, False)  # idle: let others in
            if self.closed and not self.pending and not commits:
                return
        if commits:
            await asyncio.gather(*commits)
        await asyncio.to_thread(self._release, False)

    def _hand_over(self) -> None:
        with self._keeper_lock:
            self.handed_over, self._keeper = self._keeper, None

    def _hold(self) -> None:
        """Keep the file open across back-to-back commits, unless it is others' turn."""
        with self._keeper_lock:
            now = time.monotonic()
            if self._keeper is None and now >= self._hold_again_at:
                self._keeper = self.store.keep_open()
                self._held_since = now

    def _release(self, turn: bool) -> None:
        """Close the held file; with `turn`, hold it again only after TURN_SECONDS."""
        with self._keeper_lock:
            if self._keeper is not None:
                self._keeper.close()
                self._keeper = None
                if turn:
                    self._hold_again_at = time.monotonic() + TURN_SECONDS

    def _commit_done(
        self, commits: set[asyncio.Task[None]]
    ) -> Callable[[asyncio.Task[None]], None]:
        """Forget a finished commit, then wake the loop (it may be waiting only for this)."""

        def done(task: asyncio.Task[None]) -> None:
            commits.discard(task)
            self.wake.set()

        return done

    def _flush(self, batch: Sequence[tuple[ResultRow, CacheEntry | None]]) -> None:
        """Commit a batch with one INSERT per table, column by column (`rows.insert_sql`)."""
        now = audit.utc_now()
        rows = [row_values(row) for row, _ in batch]
        cache = [(k, v, now) for _, e in batch if e for k, v in [e]]

        def body(con: duckdb.DuckDBPyConnection) -> None:
            skip = self._skip_stored
            try:
                results, entries = (RESULTS_INSERT, CACHE_INSERT) if skip else APPENDS
                con.execute(results, columns_of(rows, len(RESULT_COLUMNS)))
                if cache:
                    con.execute(entries, columns_of(cache, len(CACHE_COLUMNS)))
            except duckdb.ConstraintException as exc:
                if "duplicate key" in str(exc).lower():
                    self._skip_stored = True  # `store.write` retries a duplicate key at once
                raise
            self.halted_in_db = killswitch.state(con).engaged

        self._hold()
        self.store.write(body)
        if self._keeper is not None and time.monotonic() - self._held_since > HOLD_SECONDS:
            self._release(True)

    async def close(self, hand_over: bool = False) -> None:
        self.closed, self.hand_over = True, hand_over
        self.wake.set()

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise StoreBusy(
                f"could not store results of {self.run_id} ({self.error}); every result stored "
                f"so far is kept: `pilot run --resume {self.run_id}` continues the run",
                app=f"Could not store results of {self.run_id} ({self.error}). Every result "
                "stored so far is kept: resume the run on the Runs page.",
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
