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
import random
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from pilot.core import keys
from pilot.core.errors import InputError, StoreBusy
from pilot.core.migrations import MIGRATIONS

T = TypeVar("T")
DEFAULT_DB = "pilot.duckdb"
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("PILOT_DB") or DEFAULT_DB).resolve()


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "resource temporarily unavailable" in text


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
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                if not self.path.exists():
                    return self._create()
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    if _is_lock_error(exc):
                        raise StoreBusy(
                            f"{self.path}: the database is in use by another process and stayed "
                            f"locked for {self.lock_timeout:.0f}s; try again when it finishes"
                        ) from None
                    raise
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

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
        for attempt in range(attempts):
            try:
                with self.transaction() as con:
                    return body(con)
            except (duckdb.TransactionException, duckdb.ConstraintException) as exc:
                if attempt == attempts - 1 or not _is_conflict(exc):
                    raise
                time.sleep(0.01 * (2**attempt) * (1 + random.random()))
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


def frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> pl.DataFrame:
    """A query's rows as a polars frame, on the caller's connection (so inside its transaction).

    DuckDB 2 refuses `con.sql()` while an earlier `execute()` result is not fully fetched, so
    this goes through `execute()`, whose Arrow copy it accepts for the sake of that guarantee.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        table = con.execute(sql, params or []).to_arrow_table()
    return pl.from_arrow(table)  # type: ignore[return-value]
