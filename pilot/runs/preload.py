"""Imports a run will need, made in a thread while the run does other work.

A run imports the system's SDK (`anthropic`: ~0.4-0.9 s) at its first call and polars, numpy and
every metric (~0.3 s) when it scores. Made in the main thread, both wait in line with everything
else; made here, the SDK's import overlaps the run's bookkeeping and the metrics' import
overlaps the calls' network waits. Only modules that import nothing of `pilot` are worth it
(and safe: two threads importing the same package only wait for each other). An import that
fails here changes nothing: the code that needs the module imports it itself, as before.

The imports are made one after the other, in the order asked for, by one thread at a time: a
later request (the metrics, asked for once the run knows it will call) starts only when the
earlier ones (the SDK) are imported. Imports hold the interpreter lock, so two made at once
would only share it: the metrics would then delay the SDK, which the first call waits for,
by the whole of their own import (~0.25 s on the critical path of every live run).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading

_started: set[str] = set()
_lock = threading.Lock()
_last: threading.Thread | None = None  # the newest preload thread: the next one waits for it


def preload(*modules: str) -> None:
    """Import `modules` (in order) in a background thread, unless imported or started already;
    after the imports asked for earlier."""
    global _last
    with _lock:
        todo = [m for m in modules if m not in sys.modules and m not in _started]
        _started.update(todo)
        if not todo:
            return
        before = _last

        def load() -> None:
            if before is not None:
                before.join()
            for name in todo:
                with contextlib.suppress(Exception):
                    importlib.import_module(name)

        _last = threading.Thread(target=load, name="pilot-preload")
        _last.start()


# polars and numpy come with the metrics; scoring reads the run's rows as Arrow (pyarrow: another
# ~20-60 ms on the path from the last answer to the report, were it imported there)
SCORING = ("metrics", "pyarrow")
