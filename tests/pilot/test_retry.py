"""The one retry policy: waits worked by hand, `retry_after` honoured within the cap, a stop
check before every attempt, non-retryable failures passed through, and `GaveUp` at the end."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import pytest

from pilot.core.errors import Halted
from pilot.core.retry import AsyncRetrier, GaveUp, RetryPolicy, async_retrying, retrying


class Busy(Exception):
    def __init__(self, retry_after: float | None = None):
        super().__init__("busy")
        self.retry_after = retry_after


def test_waits_double_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=8, base=0.5, cap=3.0, jitter=False)
    assert [policy.delay(n, None) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_scales_by_half_to_one_and_a_half() -> None:
    rng = random.Random(7)
    expected = [min(30.0, 0.5 * 2 ** (n - 1)) * (0.5 + random.Random(7).random()) for n in [1]]
    policy = RetryPolicy(base=0.5, rng=rng)
    assert policy.delay(1, None) == pytest.approx(expected[0])
    waits = [RetryPolicy(base=1.0, rng=random.Random(s)).delay(1, None) for s in range(200)]
    assert min(waits) >= 0.5 and max(waits) < 1.5


def test_retry_after_is_honoured_but_capped() -> None:
    policy = RetryPolicy(base=0.1, cap=5.0, jitter=False)
    assert policy.delay(1, Busy(retry_after=2.0)) == 2.0  # longer than the backoff: wait it
    assert policy.delay(4, Busy(retry_after=0.1)) == 0.8  # shorter: the backoff wins
    assert policy.delay(1, Busy(retry_after=600)) == 5.0  # never beyond the cap


def test_sync_retries_then_gives_up_with_the_last_failure() -> None:
    slept: list[float] = []
    calls = 0
    policy = RetryPolicy(attempts=3, base=0.25, jitter=False)
    with pytest.raises(GaveUp) as raised:
        for attempt in retrying(policy, (Busy,), sleep=slept.append):
            with attempt:
                calls += 1
                raise Busy()
    assert calls == 3 and slept == [0.25, 0.5]
    assert raised.value.attempts == 3 and isinstance(raised.value.last, Busy)
    assert str(raised.value) == "gave up after 3 attempts: busy"


def test_other_failures_pass_straight_through() -> None:
    calls = 0
    with pytest.raises(KeyError):
        for attempt in retrying(RetryPolicy(attempts=5), (Busy,), sleep=lambda s: None):
            with attempt:
                calls += 1
                raise KeyError("not retryable")
    assert calls == 1


def test_predicate_chooses_what_to_retry() -> None:
    calls = 0
    for attempt in retrying(
        RetryPolicy(attempts=5), lambda e: "again" in str(e), sleep=lambda s: None
    ):
        with attempt:
            calls += 1
            if calls < 3:
                raise RuntimeError("again")
    assert calls == 3


def test_stop_check_runs_before_every_attempt() -> None:
    """The kill switch engaged after the first failure: no second call is made."""
    calls = 0
    engaged = False

    def halt() -> None:
        if engaged:
            raise Halted("kill switch")

    async def go() -> None:
        nonlocal calls, engaged
        policy = RetryPolicy(attempts=5, base=0.001)
        async for attempt in async_retrying(policy, (Busy,), halt=halt):
            with attempt:
                calls += 1
                engaged = True
                raise Busy()

    with pytest.raises(Halted):
        asyncio.run(go())
    assert calls == 1


def test_success_returns_after_retries() -> None:
    async def go() -> tuple[str, int]:
        n = 0
        async for attempt in async_retrying(RetryPolicy(attempts=4, base=0.001), (Busy,)):
            with attempt:
                n += 1
                if n < 3:
                    raise Busy(retry_after=0.001)
                return "ok", attempt.retry_state.attempt_number
        raise AssertionError("unreachable")

    assert asyncio.run(go()) == ("ok", 3)


class Other(Exception):
    """A failure no policy retries."""


@dataclass(frozen=True)
class Noted(RetryPolicy):
    """The policy's waits, noted (attempt, failure) instead of slept: 0 s."""

    waits: list[tuple[int, str]] = field(default_factory=list, compare=False)

    def delay(self, attempt: int, failure: BaseException | None) -> float:
        self.waits.append((attempt, str(failure)))
        return 0.0


# each script: what attempts 1, 2, ... do: "busy" (retried), "other" (not), "halt" (the stop
# check raises before it), anything else is the attempt's answer
SCRIPTS = [
    (["ok"], 3),
    (["busy", "busy", "ok"], 4),
    (["busy", "busy", "busy"], 3),
    (["busy"], 1),
    (["busy", "other"], 4),
    (["other"], 4),
    (["busy", "halt"], 4),
    (["halt"], 4),
]


def _trace(script: list[str], attempts: int, *, fast: bool) -> list[object]:
    """What a call under `script` shows: each attempt's number, each wait, each stop check,
    then its outcome; through AsyncRetrier (`fast`) or the plain tenacity loop."""
    policy = Noted(attempts=attempts)
    seen: list[object] = []
    step = 0

    def halt() -> None:
        seen.append("check")
        if script[step] == "halt":
            raise Halted("kill switch")

    async def attempt() -> str:
        nonlocal step
        what = script[step]
        step += 1
        if what == "busy":
            raise Busy()
        if what == "other":
            raise Other(f"other at {step}")
        return what

    async def go() -> str:
        if fast:
            return await AsyncRetrier(policy, (Busy,), halt=halt).call(attempt, seen.append)
        async for state in async_retrying(policy, (Busy,), halt=halt):
            with state:
                seen.append(state.retry_state.attempt_number)
                return await attempt()
        raise AssertionError("unreachable")

    try:
        seen.append(("returned", asyncio.run(go())))
    except GaveUp as exc:
        seen.append(("gave up", exc.attempts, str(exc.last)))
    except (Other, Halted) as exc:
        seen.append(("raised", type(exc).__name__, str(exc)))
    return [*seen, ("waits", policy.waits)]


@pytest.mark.parametrize(("script", "attempts"), SCRIPTS)
def test_the_retrier_s_first_attempt_outside_tenacity_changes_nothing(
    script: list[str], attempts: int
) -> None:
    """AsyncRetrier (the run's calls) makes the same attempts, numbered alike, with the same
    waits, stop checks and outcome as the plain tenacity loop, whatever fails when."""
    assert _trace(script, attempts, fast=True) == _trace(script, attempts, fast=False)


def test_the_retrier_s_outcomes_worked_by_hand() -> None:
    two_then_ok = _trace(["busy", "busy", "ok"], 4, fast=True)
    assert two_then_ok == [
        "check", 1, "check", 2, "check", 3, ("returned", "ok"),
        ("waits", [(1, "busy"), (2, "busy")]),
    ]  # fmt: skip
    assert _trace(["busy", "busy", "busy"], 3, fast=True)[-2] == ("gave up", 3, "busy")
    # the wait is drawn though none follows (tenacity does: a seeded jitter stays in step)
    assert _trace(["busy"], 1, fast=True) == [
        "check", 1, ("gave up", 1, "busy"), ("waits", [(1, "busy")]),
    ]  # fmt: skip
    assert _trace(["busy", "halt"], 4, fast=True)[-2] == ("raised", "Halted", "kill switch")


def test_the_retrier_refuses_a_policy_with_a_time_limit() -> None:
    with pytest.raises(ValueError, match="within"):
        AsyncRetrier(RetryPolicy(within=1.0), (Busy,))
