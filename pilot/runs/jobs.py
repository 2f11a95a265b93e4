"""Runs started from the app execute in a background thread of the server process, so the page
stays usable; their progress is read back from the database, so every user sees it."""

from __future__ import annotations

import threading
import traceback

from pilot.core.store import Store
from pilot.runs.context import RunOptions
from pilot.runs.execute import execute_run
from pilot.runs.systems.connection import Connection

_threads: dict[str, threading.Thread] = {}
_failures: dict[str, str] = {}
_lock = threading.Lock()


def run_in_background(
    store: Store,
    user: str,
    run_id: str,
    options: RunOptions | None,
    connection: Connection | None = None,
) -> None:
    def work() -> None:
        try:
            execute_run(store, user, run_id, options=options, connection=connection)
        except Exception as exc:  # shown on the Runs page; the run stays resumable
            _failures[run_id] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()

    thread = threading.Thread(target=work, name=f"pilot-run-{run_id}", daemon=True)
    with _lock:
        _threads[run_id] = thread
    thread.start()


def is_active(run_id: str) -> bool:
    thread = _threads.get(run_id)
    return bool(thread and thread.is_alive())


def failure(run_id: str) -> str | None:
    return _failures.get(run_id)


def wait(run_id: str, timeout: float | None = None) -> None:
    thread = _threads.get(run_id)
    if thread:
        thread.join(timeout)
