"""The one DuckDB file: connections held for one operation, ordered migrations, retries.

DuckDB lets only one process open a file read-write, so the app and the CLI take turns: every
operation opens the file, does its work in one transaction and closes it, and an operation that
finds the file locked retries for a few seconds before failing with a clear message.

The database, its WAL and its key are owner-only files (0600): a new database gets its pilot key
beside it at creation (`keys.py`), and every connection is bound to that key so audit events are
sealed as they are written.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from pilot.core import keys
from pilot.core.errors import InputError, StoreBusy
from pilot.core.migrations import MIGRATIONS
from pilot.core.retry import GaveUp, RetryPolicy, retrying

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T")
DEFAULT_DB = "pilot.duckdb"
_migrated: set[str] = set()
# Per open connection, the tables it has seen: tables are only ever added (by migrations), so a
# table seen once stays. A page asks up to 48 times per visit, ~2 ms of wall time each.
_tables_seen: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)
_migrate_lock = threading.Lock()


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("PILOT_DB") or DEFAULT_DB).resolve()


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "resource temporarily unavailable" in text


def _locked(exc: BaseException) -> bool:
    """Another process holds the file."""
    return isinstance(exc, duckdb.IOException) and _is_lock_error(exc)


def _is_conflict_error(exc: BaseException) -> bool:
    return isinstance(
        exc, duckdb.TransactionException | duckdb.ConstraintException
    ) and _is_conflict(exc)


def _is_conflict(exc: Exception) -> bool:
    """Two transactions raced: a write-write conflict, or both took the same new key."""
    text = str(exc).lower()
    return (
        isinstance(exc, duckdb.TransactionException)
        or "conflict" in text
        or (isinstance(exc, duckdb.ConstraintException) and "duplicate key" in text)
    )


class Store:
    """Handle on the pilot database; cheap to create, holds no connection between operations."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, lock_timeout: float = 10.0):
        self.path = resolve_path(path)
        self.lock_timeout = lock_timeout

    @property
    def key_path(self) -> Path:
        return keys.key_path(self.path)

    def key(self) -> keys.PilotKey | None:
        return keys.load(self.key_path)

    def private_files(self) -> tuple[Path, ...]:
        wal = self.path.with_name(self.path.name + ".wal")
        return (self.path, wal, self.key_path)

    def _open(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the file (a new one is created owner-only with its key); a file another
        process holds is retried for `lock_timeout` seconds."""
        policy = RetryPolicy(attempts=10**6, base=0.03, cap=0.75, within=self.lock_timeout)
        try:
            for attempt in retrying(policy, _locked):
                with attempt:
                    if not self.path.exists():
                        return self._create()
                    return duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if "not a valid DuckDB database" in str(exc):
                raise InputError(
                    f"{self.path}: not a pilot database (not a DuckDB file); check --db or PILOT_DB",
                    app=f"{self.path} is not a pilot database: whoever runs the app sets PILOT_DB "
                    "to the pilot's database file and restarts it.",
                ) from None
            raise
        except GaveUp:
            raise StoreBusy(
                f"{self.path}: the database is in use by another process and stayed "
                f"locked for {self.lock_timeout:.0f}s; try again when it finishes"
            ) from None
        raise AssertionError("unreachable")

    def _create(self) -> duckdb.DuckDBPyConnection:
        """A new database: created owner-only, with a new pilot key unless one is there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        previous = os.umask(0o077)
        try:
            con = duckdb.connect(str(self.path))
            con.execute("CHECKPOINT")
        finally:
            os.umask(previous)
        if not self.key_path.exists():
            with contextlib.suppress(InputError):  # another process created it first
                keys.create(self.key_path)
        keys.tighten(*self.private_files())
        return con

    def keep_open(self) -> duckdb.DuckDBPyConnection:
        """Open the file and hold it: while this connection is open, this process's operations
        share the open database instead of each opening and closing the file (~20 ms of CPU
        each, most of it the checkpoint on close). Other processes cannot open the file
        meanwhile, so hold it only across work that does not wait on anything outside
        (`held`), or in short stretches (the run's writer). Close it to release the file."""
        return self._open()

    @contextmanager
    def held(self) -> Iterator[None]:
        """`keep_open` for the duration of a block of back-to-back operations."""
        con = self.keep_open()
        try:
            yield
        finally:
            con.close()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one operation, with the schema migrated; closed on exit."""
        con = self._open()
        keys.bind(con, self.key())
        try:
            self._migrate(con)
            yield con
        finally:
            keys.unbind(con)
            con.close()
            keys.tighten(*self.private_files()[:2])

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connect() as con:
            yield con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.connect() as con:
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()
            keys.after_commit(con)

    def write(self, body: Callable[[duckdb.DuckDBPyConnection], T], *, attempts: int = 10) -> T:
        """Run `body` in one transaction, retrying it whole when it conflicts with another."""
        policy = RetryPolicy(attempts=attempts, base=0.015, cap=10.0)
        try:
            for attempt in retrying(policy, _is_conflict_error):
                with attempt, self.transaction() as con:
                    return body(con)
        except GaveUp as exc:
            raise exc.last from None
        raise AssertionError("unreachable")

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        key = str(self.path)
        if key in _migrated:
            return
        with _migrate_lock:
            apply_migrations(con)
            _migrated.add(key)


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded, each in its own transaction; idempotent."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT id FROM schema_migrations").fetchall()}
    applied = []
    for number, name, statements in MIGRATIONS:
        if number in done:
            continue
        con.begin()
        try:
            for statement in statements:
                con.execute(statement)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [number, name]
            )
            con.commit()
        except duckdb.ConstraintException:
            con.rollback()  # another connection applied it first
            continue
        except BaseException:
            con.rollback()
            raise
        applied.append(name)
    return applied


def get_setting(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def put_setting(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


# DuckDB warns that Arrow output from an `execute()` result copies the rows, which `frame`
# accepts. One filter for that message alone, set once: `warnings.catch_warnings()` around the
# call changed the process's filters for every thread, so a page read on another thread let
# the warning through (it reached CI's output).
ARROW_COPY = "Arrow output on a DB-API result makes an extra copy"
warnings.filterwarnings("ignore", message=ARROW_COPY, category=UserWarning)


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> pl.DataFrame:
    """A query's rows as a polars frame, on the caller's connection (so inside its transaction).

    DuckDB 2 refuses `con.sql()` while an earlier `execute()` result is not fully fetched, so
    this goes through `execute()`, whose Arrow copy it accepts for the sake of that guarantee.
    """
    table = con.execute(sql, params or []).to_arrow_table()  # its copy warning: ARROW_COPY
    import polars as pl  # only where a frame is asked for: most commands need none

    return pl.from_arrow(table)  # type: ignore[return-value]


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the table exists (a step whose migration has not run yet has none). One read of
    every table name per connection; asked again only for a table it had not seen."""
    if name in _tables_seen.get(con, ()):
        return True
    rows = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()  # not info_schema
    _tables_seen[con] = frozenset(str(row[0]) for row in rows)
    return name in _tables_seen[con]
