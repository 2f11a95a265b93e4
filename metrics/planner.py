"""Sample-size planner: how many cases before a bar judged on the lower bound can be cleared?

A bar judged on the Wilson lower bound needs enough cases that, at the rate the system is
expected to achieve, the lower bound rises above the threshold. Counts are whole cases, so the
expected successes are rounded down: the plan never relies on a fraction of a correct answer.
"""

from __future__ import annotations

import math
from typing import TypedDict

from metrics.intervals import wilson

DEFAULT_Z = 1.96
_MAX_CASES = 1_000_000_000


def lower_bound_with(n: int, expected_rate: float, z: float = DEFAULT_Z) -> float:
    """Wilson lower bound after n cases if the system scores `expected_rate` (rounded down)."""
    if n <= 0:
        raise ValueError(f"n must be a positive number of cases, got {n}")
    return wilson(math.floor(expected_rate * n + 1e-9), n, z)[0]


def _exact_rate_bound(p: float, n: int, z: float) -> float:
    """The Wilson lower bound with the unrounded rate: increasing in n, so it can be bisected."""
    z2 = z * z
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (p + z2 / (2 * n) - half) / (1 + z2 / n)


def required_cases(threshold: float, expected_rate: float, z: float = DEFAULT_Z) -> int | None:
    """Smallest n with wilson_low(floor(expected_rate·n), n) ≥ threshold; None when
    expected_rate ≤ threshold, since the lower bound then never reaches the threshold."""
    if not 0.0 <= threshold <= 1.0 or not 0.0 <= expected_rate <= 1.0:
        raise ValueError("threshold and expected_rate must be proportions between 0 and 1")
    if expected_rate <= threshold:
        return None
    if _exact_rate_bound(expected_rate, _MAX_CASES, z) < threshold:
        raise ValueError(
            f"expected rate {expected_rate} is too close to the threshold {threshold}: "
            f"more than {_MAX_CASES:,} cases would be needed"
        )
    # Rounding down only lowers the bound, so no n below the unrounded answer can pass: bisect
    # for that, then step up past the n where rounding down still falls short.
    lo, hi = 1, _MAX_CASES
    while lo < hi:
        mid = (lo + hi) // 2
        if _exact_rate_bound(expected_rate, mid, z) >= threshold:
            hi = mid
        else:
            lo = mid + 1
    n = lo
    while lower_bound_with(n, expected_rate, z) < threshold:
        n += 1
    return n


class Plan(TypedDict):
    threshold: float
    expected_rate: float
    required: int | None
    have: int
    enough: bool
    lower_bound: float | None
    sentence: str


def plan(threshold: float, expected_rate: float, have_n: int, z: float = DEFAULT_Z) -> Plan:
    """Required versus available cases, with one plain sentence for the page and the report."""
    required = required_cases(threshold, expected_rate, z)
    bound = lower_bound_with(have_n, expected_rate, z) if have_n > 0 else None
    enough = bound is not None and bound >= threshold
    pct = _percent
    if required is None:
        sentence = (
            f"At an expected {pct(expected_rate)} the lower bound can never reach "
            f"{pct(threshold)}: no number of cases clears this bar; the system must do better "
            f"than the bar, not just match it."
        )
    elif enough:
        sentence = (
            f"{have_n:,} cases are enough: at an expected {pct(expected_rate)} the lower "
            f"bound would be {pct(bound)}, above the {pct(threshold)} bar "
            f"(at least {required:,} cases are needed)."
        )
    else:
        now = f"would be {pct(bound)}" if bound is not None else "cannot be computed"
        sentence = (
            f"{have_n:,} cases are not enough: at an expected {pct(expected_rate)} the lower "
            f"bound {now}, below the {pct(threshold)} bar. Add "
            f"{required - have_n:,} more for at least {required:,} cases."
            if required > have_n
            else f"{have_n:,} cases: at an expected {pct(expected_rate)} the lower bound "
            f"{now}, just below the {pct(threshold)} bar; {required:,} cases would clear it."
        )
    return Plan(
        threshold=threshold,
        expected_rate=expected_rate,
        required=required,
        have=have_n,
        enough=enough,
        lower_bound=bound,
        sentence=sentence,
    )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"
