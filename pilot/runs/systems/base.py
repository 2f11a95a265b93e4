"""The contract every system under test meets."""

from __future__ import annotations

from typing import Protocol

from pilot.core.models import SystemOutput, SystemRequest


class System(Protocol):
    async def answer(self, request: SystemRequest) -> SystemOutput: ...


class TransientError(Exception):
    """A failure worth retrying (429, 529, 5xx, timeout). `retry_after` is in seconds."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class PermanentError(Exception):
    """A failure that retrying will not fix (bad request, auth, malformed response)."""
