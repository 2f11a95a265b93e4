"""Imports a run will need, made in a thread while the run does other work.

A run imports the system's SDK (`anthropic`: ~0.4-0.9 s) at its first call and polars, numpy and
every metric (~0.4 s) when it scores. Made in the main thread, both wait in line with everything
else; made here, the SDK's import overlaps the run's bookkeeping and the metrics' import
overlaps the calls' network waits. Only modules that import nothing of `pilot` are worth it
(and safe: two threads importing the same package only wait for each other). An import that
fails here changes nothing: the code that needs the module imports it itself, as before.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

_started: set[str] = set()
_lock = threading.Lock()


def preload(*modules: str) -> None:
    """Import `modules` (in order) in a background thread, unless imported or started already."""
    with _lock:
        todo = [m for m in modules if m not in sys.modules and m not in _started]
        _started.update(todo)
    if not todo:
        return

    def load() -> None:
        for name in todo:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    threading.Thread(target=load, name="pilot-preload").start()


SCORING = ("metrics",)  # polars and numpy come with it
