"""The one retry policy: capped exponential backoff with jitter, honouring a failure's
`retry_after`, with an optional stop check (the kill switch) before every attempt.

Built on tenacity (the field's standard retry library: sync and async, composable stop / wait /
retry rules). The runner's calls, the Message Batches poll, the writer's commits and the store's
lock and write-conflict retries all go through `retrying` / `async_retrying`; only the policy's
numbers differ.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity


class GaveUp(Exception):
    """Every attempt failed with a retryable error; `last` is the final failure."""

    def __init__(self, attempts: int, last: BaseException):
        super().__init__(f"gave up after {attempts} attempts: {last}")
        self.attempts = attempts
        self.last = last


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.5  # the first wait, doubled for each further attempt
    cap: float = 30.0  # no wait (nor honoured retry-after) is longer
    jitter: bool = True  # each wait is scaled by a uniform factor in [0.5, 1.5)
    within: float | None = None  # stop once this many seconds have passed, whatever `attempts`
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int, failure: BaseException | None) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        wait = min(self.cap, self.base * 2 ** (attempt - 1))
        if self.jitter:
            wait *= 0.5 + self.rng.random()
        retry_after = getattr(failure, "retry_after", None)
        if retry_after:
            wait = max(wait, min(float(retry_after), self.cap))
        return wait


RetryOn = tuple[type[BaseException], ...] | Callable[[BaseException], bool]


def _kwargs(
    policy: RetryPolicy,
    retry_on: RetryOn,
    halt: Callable[[], None] | None,
    on_retry: Callable[[int, BaseException], None] | None,
    done: int = 0,
) -> dict[str, object]:
    """tenacity's rules for `policy`; `done` attempts already made (tenacity's attempt 1 is
    then the policy's attempt `done + 1`: its waits, its stop and `GaveUp` count on from it)."""

    def wait(state: tenacity.RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        return policy.delay(done + state.attempt_number, failure)

    def before(state: tenacity.RetryCallState) -> None:
        if halt is not None:
            halt()  # raises to stop before the next attempt (the kill switch)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            on_retry(state.attempt_number, state.outcome.exception())  # type: ignore[arg-type]

    def give_up(state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None
        raise GaveUp(done + state.attempt_number, state.outcome.exception())  # type: ignore[arg-type]

    stop = tenacity.stop_after_attempt(policy.attempts - done)
    if policy.within is not None:
        stop = stop | tenacity.stop_after_delay(policy.within)
    return {
        "stop": stop,
        "wait": wait,
        "retry": tenacity.retry_if_exception(retry_on)
        if callable(retry_on) and not isinstance(retry_on, tuple)
        else tenacity.retry_if_exception_type(retry_on),
        "before": before,
        "before_sleep": before_sleep,
        "retry_error_callback": give_up,
    }


def retrying(
    policy: RetryPolicy,
    retry_on: RetryOn,
    *,
    halt: Callable[[], None] | None = None,
    on_retry: Callable[[int, BaseException], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> tenacity.Retrying:
    """`for attempt in retrying(...): with attempt: ...` — a failure of a `retry_on` type (or
    one the `retry_on` predicate accepts) is retried; any other failure propagates at once; the last retryable one raises `GaveUp`.
    `halt` runs before every attempt and raises to stop (e.g. `Halted`)."""
    extra = {"sleep": sleep} if sleep is not None else {}
    return tenacity.Retrying(**_kwargs(policy, retry_on, halt, on_retry), **extra)  # type: ignore[arg-type]


def async_retrying(
    policy: RetryPolicy,
    retry_on: RetryOn,
    *,
    halt: Callable[[], None] | None = None,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> tenacity.AsyncRetrying:
    """The asyncio form of `retrying` (waits with `asyncio.sleep`)."""
    return tenacity.AsyncRetrying(**_kwargs(policy, retry_on, halt, on_retry))  # type: ignore[arg-type]


T = TypeVar("T")


class AsyncRetrier:
    """`async_retrying` for many calls under one policy, cheap when nothing fails.

    A call's first attempt runs directly: tenacity's loop costs ~25 µs a call, which on a run
    whose calls all succeed is the whole cost of retrying (issue #14). A retryable failure of
    that attempt hands the call to tenacity, built once here, for the attempts left: after the
    wait the policy gives attempt 1, its attempt 1 is the policy's attempt 2, and so on, so
    waits, stop and `GaveUp` are those of `async_retrying`. `halt` runs before every attempt.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        retry_on: tuple[type[BaseException], ...],
        *,
        halt: Callable[[], None] | None = None,
    ) -> None:
        if policy.within is not None:
            raise ValueError("AsyncRetrier counts attempts only (the policy's `within` is unset)")
        self.policy, self.retry_on, self.halt = policy, retry_on, halt
        self._rest = _kwargs(policy, retry_on, halt, None, done=1)

    async def call(
        self, attempt: Callable[[], Awaitable[T]], on_attempt: Callable[[int], None]
    ) -> T:
        """`await attempt()` under the policy; `on_attempt(n)` is told each attempt's number
        before it starts. Raises what `async_retrying` would: `GaveUp`, or a failure that is
        not retried, or what `halt` raises."""
        if self.halt is not None:
            self.halt()
        on_attempt(1)
        try:
            return await attempt()
        except self.retry_on as failure:
            # the wait first, as tenacity computes it: a jittered policy draws it even when
            # it then gives up, so a seeded run draws the same numbers either way
            wait = self.policy.delay(1, failure)
            if self.policy.attempts <= 1:
                raise GaveUp(1, failure) from None
            await asyncio.sleep(wait)
        async for state in tenacity.AsyncRetrying(**self._rest):  # type: ignore[arg-type]
            with state:
                on_attempt(1 + state.retry_state.attempt_number)
                return await attempt()
        raise AssertionError("unreachable: tenacity returns or raises")
