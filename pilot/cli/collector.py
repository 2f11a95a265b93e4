"""The garbage collector in a `pilot run` process (issue #14: CPU per case).

Python's cyclic collector walks every object still tracked whenever it runs a full collection.
A `pilot run` process holds hundreds of thousands of long-lived objects (the anthropic SDK's
pydantic models, duckdb, polars, pilot's own modules, the golden cases and their prepared
requests): on a 3,000-case run at 0 ms, nine full collections walked them all, 1.8-2.6 s at load
16, five of them during the imports before the first call, which make almost no cyclic garbage
(0-20 objects freed a collection).

So, in the `pilot` process itself only (not when `main(argv)` is called inside another
program, such as the tests, whose objects are not ours to freeze): the collector is paused from
the start of `pilot run` until its first result, then `gc.freeze()` moves every object alive at
that point (the long-lived ones above) out of all later collections, and the collector runs
again, over the objects the calls make. Nothing is freed later than it would have been by
reference counting; cyclic garbage made before the first result waits for the process's end.
Batch runs (`--batch`, which may poll for hours before their first result) are left alone.
"""

from __future__ import annotations

import gc

OWNS_PROCESS = False  # set by `pilot.cli.main` when it runs as the `pilot` command


class Paused:
    """The collector paused (when this process is `pilot`'s own); `resume` freezes what is
    alive and starts it again. Resuming twice, or without a pause, does nothing."""

    def __init__(self, pause: bool = True) -> None:
        self.paused = pause and OWNS_PROCESS and gc.isenabled()
        if self.paused:
            gc.disable()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            gc.freeze()
            gc.enable()
