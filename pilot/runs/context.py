"""What one execution of a run works with: its options, its progress and its outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pilot.core.models import GoldenCase, SystemConfig, SystemOutput, SystemRequest
from pilot.core.store import Store
from pilot.runs.edge import Remap
from pilot.runs.run import RunRecord, RunStatus
from pilot.runs.systems.base import System


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
    status: RunStatus  # finished, inconclusive or halted
    total: int
    done: int
    errors: int
    cached: int
    # the finished run as stored, read while the file was still held: its report needs no
    # second open of the database
    record: RunRecord | None = None


Prepared = tuple[SystemRequest, str, Remap]  # what leaves, its cache key, the way back


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
    lease_lost: Callable[[], bool] = lambda: False  # another process took the run over
    stored: frozenset[str] = frozenset()  # cache keys already stored: no new entry for them
    held: Any = None  # the open database the writer handed over after its last commit

    def cache_entry(self, key: str, output: SystemOutput) -> tuple[str, str] | None:
        """The response-cache entry to store for an answer, unless its key is stored."""
        return None if key in self.stored else (key, output.model_dump_json())

    def cached_output(self, key: str) -> str | None:
        """The cached output for `key` when the options allow reading the cache."""
        if self.options.use_cache or self.options.cache_only:
            return self.cache.get(key)
        return None
