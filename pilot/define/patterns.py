"""Custom redaction patterns, run on RE2 (linear time) and checked when they are saved.

A data owner's own pattern runs over every question and source text of every run, so a pattern
that backtracks (`(a+)+$` over a long run of "a"s) would hang a run before its first call, out
of reach of the kill switch. RE2 matches in time linear in the text whatever the pattern, and
refuses what it cannot do in linear time (backreferences, lookaround). Nested unbounded
repetition is refused as well, although RE2 would run it safely: such a pattern is almost
always a mistake, and the same text pasted into any backtracking engine is a denial of service.
"""

from __future__ import annotations

import re._constants as sre_constants
import re._parser as sre_parse
from functools import lru_cache
from typing import Any, Protocol

MAX_PATTERN_LENGTH = 1000


class Match(Protocol):
    def span(self) -> tuple[int, int]: ...

    def group(self) -> str: ...


class Compiled(Protocol):
    def finditer(self, text: str) -> Any: ...


_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}


def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason is raised to the person who typed the pattern
    return options


def check_pattern(pattern: str) -> str:
    """`pattern` if RE2 runs it and it has no nested unbounded repetition, else a ValueError
    that says what to change."""
    import re2

    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"is {len(pattern)} characters long; keep it under {MAX_PATTERN_LENGTH}")
    try:
        re2.compile(pattern, _options())
    except Exception as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(
            f"not a valid regular expression for the linear-time engine (RE2): {reason}. "
            "Backreferences (\\1) and lookaround ((?=, (?!, (?<=, (?<!) are not supported"
        ) from None
    try:
        parsed = sre_parse.parse(pattern)
    except Exception as exc:  # RE2 syntax Python's parser does not know: RE2 already accepted it
        del exc
        return pattern
    if _nested_repeat(list(parsed), inside=False):
        raise ValueError(
            "nests one unbounded repetition inside another (like (a+)+ or (a*)*), which takes "
            "exponential time in backtracking engines; repeat once, e.g. a+ instead of (a+)+"
        )
    return pattern


def _nested_repeat(items: list[Any], *, inside: bool) -> bool:
    for op, av in items:
        if op in _REPEATS:
            low, high, body = av
            unbounded = high == sre_constants.MAXREPEAT or high > 100
            if unbounded and inside:
                return True
            if _nested_repeat(list(body), inside=inside or unbounded):
                return True
        elif op is sre_constants.SUBPATTERN:
            if _nested_repeat(list(av[-1]), inside=inside):
                return True
        elif op is sre_constants.BRANCH:
            if any(_nested_repeat(list(branch), inside=inside) for branch in av[1]):
                return True
        elif op is sre_constants.ATOMIC_GROUP and _nested_repeat(list(av), inside=inside):
            return True
    return False


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Compiled:
    """A checked pattern compiled for RE2."""
    import re2

    return re2.compile(check_pattern(pattern), _options())
