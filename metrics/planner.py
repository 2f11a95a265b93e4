"""Sample-size planner: how many cases so that a system as good as expected passes the bar?

The question a lead has is not "when does the bound clear the threshold if the system scores
exactly as expected" (it will not score exactly that: a system that truly scores 95% on a
140-case set clears "at least 90% on the lower bound" only 60% of the time). It is: how many
cases so that a system whose true rate is the expected one passes with probability `power`
(default 80%), while a system exactly at the threshold passes rarely (about 2.5% for a bar
judged on the 95% bound; about half the time for a bar judged on the point estimate, whatever
the size, which is why the planner says so).

Exact, not approximate: of n cases, k succeed with probability Binomial(n, p). For each n the
planner finds which counts k pass, judging k/n and its interval (`metrics.intervals.
wilson_bounds`, the code every Estimate's interval runs) with the rule it is given, and sums the
binomial tail exactly (`scipy.special.bdtrc`/`bdtr`, the regularised incomplete beta). The rule
is not restated here: a `Rule` carries the caller's judge, and the acceptance bar passes its own
(`pilot.define.criteria.Criterion.passes`, through `pilot.define.planner.criterion_rule`), so a
plan can never promise a pass the verdict would refuse. The rule is monotone in k, so the
passing counts are k ≥ k_min(n), or k ≤ k_max(n) for an at-most rate.

Discrete sizes are not monotone: one more case can need one more success, so the chance of
passing saws up and down as n grows (at 90%/95%: 217 cases give 80.0%, 218 give 79.5%). The
plan therefore reports the smallest size that reaches `power` (`required`), the sizes above it
that dip below again (`dips`), and the size from which every larger one up to the search bound
holds (`stable_from`).

Search bound: sizes 1 to `MAX_CASES` (20,000) are computed exactly, all at once with numpy
(a few milliseconds; results are cached). Beyond it the planner does not guess: a plan that
needs more says "more than 20,000" (`reach == "beyond"`), and one whose expected rate does not
beat the threshold says no size will do (`reach == "never"`).

API for every step that sizes a sample (the bar's golden set, review samples, readiness gates
such as "enough live outputs graded"):

    rule = criterion_rule(Criterion(metric="accuracy", threshold=0.90))   # pilot.define.planner
    # or, outside the bar: Rule(judge, threshold, at_most=..., judged_on=...), where
    # judge(value, low, high) says element-wise which figures pass
    chance_of_passing(rule, n, rate)                   # exact; n and rate may be arrays
    cases_needed(rule, expected_rate, power=0.8)       # int, or None (never / beyond the bound)
    more_needed(have, rule, expected_rate, power=0.8)  # the "about N more", 0 when enough
    size_plan(rule, expected_rate, power, have)        # every figure above, as a SizePlan
    more_sentence(have, rule, expected_rate, unit="graded outputs")   # one plain sentence
    chance_by_rate(rule, n, rates) / chance_by_size(rule, rate, up_to)  # the curves to draw
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from metrics.intervals import Z95, clopper_pearson_bounds, wilson_bounds

MAX_CASES = 20_000
"""The largest size the planner computes exactly; beyond it the plan says "more than"."""

DEFAULT_POWER = 0.80
Interval = Literal["wilson", "clopper_pearson"]
JudgedOn = Literal["point", "lower_bound"]
Reach = Literal["reached", "beyond", "never"]
Judge = Callable[[Any, Any, Any], Any]
"""judge(value, low, high) -> which pass, element-wise over numpy arrays."""


@dataclass(frozen=True)
class Rule:
    """How a criterion is judged: the judge itself, and what the plan says about it (the
    threshold, at-most or at-least, point or bound) and the interval the judge is given (the
    acceptance bar's rates use Wilson at 95%, `z = Z95`). Hashable, so plans can be cached:
    give a judge that hashes by value (a frozen model's bound method does)."""

    judge: Judge
    threshold: float
    at_most: bool = False
    judged_on: JudgedOn = "lower_bound"
    interval: Interval = "wilson"
    z: float = Z95

    def __post_init__(self) -> None:
        _proportion("threshold", self.threshold)
        if self.judged_on not in ("point", "lower_bound"):
            raise ValueError(f"judged_on must be 'point' or 'lower_bound', not {self.judged_on!r}")
        if self.interval not in ("wilson", "clopper_pearson"):
            raise ValueError(
                f"interval must be 'wilson' or 'clopper_pearson', not {self.interval!r}"
            )

    def passes(self, k: Any, n: Any) -> Any:
        """Whether k successes of n trials pass: the verdict's rule, element-wise."""
        k, n = np.asarray(k), np.asarray(n)
        if self.interval == "wilson":
            low, high = wilson_bounds(k, n, self.z)
        else:
            low, high = clopper_pearson_bounds(k, n)
        return np.asarray(self.judge(k / n, low, high), dtype=bool)


def _proportion(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a proportion between 0 and 1, got {value!r}")


def passing_counts(rule: Rule, ns: Any) -> np.ndarray:
    """For each size n: the fewest successes that pass (n + 1 when none does), or for an
    at-most rule the most that pass (-1 when none does). A bisection over k for every n at
    once; it relies on the rule being monotone in k, which the tests check by brute force."""
    ns = np.asarray(ns, dtype=np.int64)
    lo = np.zeros_like(ns)  # the first k where `flipped` holds lies in [lo, hi]
    hi = ns + 1
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        safe_mid = np.where(open_, mid, 0)
        # At-least: find the first passing k. At-most: find the first failing k.
        hit = np.asarray(rule.passes(safe_mid, np.maximum(ns, 1)))
        flipped = hit if not rule.at_most else ~hit
        hi = np.where(open_ & flipped, mid, hi)
        lo = np.where(open_ & ~flipped, mid + 1, lo)
    return lo - 1 if rule.at_most else lo


def _chance(rule: Rule, ns: np.ndarray, bounds: np.ndarray, rate: Any) -> np.ndarray:
    """P(pass) given each n's boundary count, at `rate` (broadcast)."""
    from scipy.special import bdtr, bdtrc

    rate = np.asarray(rate, dtype=float)
    ns, bounds = np.broadcast_arrays(ns, bounds)
    if rule.at_most:  # P(K ≤ k_max)
        k = np.clip(bounds, 0, ns)
        tail = np.where(rate >= 1.0, (bounds >= ns).astype(float), bdtr(k, ns, rate))
        out = np.where(rate <= 0.0, (bounds >= 0).astype(float), tail)
        return np.where(bounds < 0, 0.0, out)
    k = np.clip(bounds - 1, 0, ns)  # P(K ≥ k_min) = P(K > k_min - 1)
    tail = np.where(rate <= 0.0, (bounds <= 0).astype(float), bdtrc(k, ns, rate))
    out = np.where(rate >= 1.0, (bounds <= ns).astype(float), tail)
    return np.where(bounds <= 0, 1.0, np.where(bounds > ns, 0.0, out))


def chance_of_passing(rule: Rule, n: Any, rate: Any) -> Any:
    """Exact probability that n cases of a system whose true rate is `rate` pass `rule`.
    n = 0 never passes (no evidence is not a pass). Scalars in, float out."""
    ns = np.asarray(n, dtype=np.int64)
    bounds = passing_counts(rule, ns)
    out = np.where(ns <= 0, 0.0, _chance(rule, ns, bounds, rate))
    return float(out) if out.ndim == 0 else out


@lru_cache(maxsize=64)
def _bounds_table(rule: Rule, up_to: int) -> np.ndarray:
    table = passing_counts(rule, np.arange(1, up_to + 1))
    table.flags.writeable = False
    return table


@lru_cache(maxsize=256)
def _chance_table(rule: Rule, rate: float, up_to: int) -> np.ndarray:
    """P(pass) for every size 1..up_to: index i is size i + 1."""
    chance = _chance(rule, np.arange(1, up_to + 1), _bounds_table(rule, up_to), rate)
    chance.flags.writeable = False
    return chance


def chance_by_size(rule: Rule, rate: float, up_to: int) -> tuple[np.ndarray, np.ndarray]:
    """(sizes 1..up_to, chance of passing at each): the saw-tooth, steps and all."""
    _proportion("rate", rate)
    if not 1 <= up_to <= MAX_CASES:
        raise ValueError(f"up_to must be between 1 and {MAX_CASES:,}, got {up_to}")
    return np.arange(1, up_to + 1), _chance_table(rule, float(rate), MAX_CASES)[:up_to]


def chance_by_rate(rule: Rule, n: int, rates: Any) -> np.ndarray:
    """The chance that n cases pass, for each true rate in `rates` (the operating curve)."""
    if n < 1:
        return np.zeros(np.shape(rates))
    bound = passing_counts(rule, np.array([n]))
    return _chance(rule, np.array([n]), bound, np.asarray(rates, dtype=float))


@dataclass(frozen=True)
class SizePlan:
    """Every figure of one plan. Chances are exact probabilities of passing; `false_pass_*` is
    the chance for a system exactly at the threshold."""

    rule: Rule
    expected_rate: float
    power: float
    reach: Reach
    required: int | None  # smallest size with chance ≥ power (None: never / beyond the bound)
    stable_from: int | None  # every size from here to MAX_CASES has chance ≥ power
    dips: tuple[tuple[int, int], ...]  # runs of sizes above `required` that fall below power
    chance_required: float | None
    false_pass_required: float | None
    best_size: int  # within the bound, the size with the highest chance (for "beyond")
    best_chance: float
    have: int | None
    chance_have: float | None
    false_pass_have: float | None
    more: int | None  # smallest addition to `have` reaching power; 0 when `have` already does

    @property
    def enough(self) -> bool | None:
        return None if self.have is None else self.more == 0


@lru_cache(maxsize=256)
def size_plan(
    rule: Rule, expected_rate: float, power: float = DEFAULT_POWER, have: int | None = None
) -> SizePlan:
    """The plan for `rule` at `expected_rate`, and how `have` cases compare."""
    _proportion("expected_rate", expected_rate)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be a probability between 0 and 1 (exclusive), got {power!r}")
    if have is not None and have < 0:
        raise ValueError(f"have must be a number of cases (0 or more), got {have}")
    chance = _chance_table(rule, float(expected_rate), MAX_CASES)
    ok = chance >= power
    hits = np.flatnonzero(ok)
    if rule.judged_on == "point" and _never(rule, expected_rate):
        # A handful of cases can land on the right side by luck; that is no plan.
        hits = hits[:0]
    best = int(np.argmax(chance))
    if hits.size:
        required = int(hits[0]) + 1
        misses = np.flatnonzero(~ok)
        last_miss = int(misses[-1]) + 1 if misses.size else 0
        stable_from = max(last_miss + 1, required) if last_miss < MAX_CASES else None
        below = misses[misses + 1 > required] + 1
        reach: Reach = "reached"
    else:
        required = stable_from = None
        below = np.array([], dtype=np.int64)
        reach = "never" if _never(rule, expected_rate) else "beyond"
    at = _at(rule, required) if required else (None, None)
    more = None
    chance_have = false_have = None
    if have is not None:
        chance_have, false_have = _at(rule, have, expected_rate)
        if have > MAX_CASES:
            more = 0 if chance_have is not None and chance_have >= power else None
        else:
            sizes = hits + 1
            later = sizes[sizes >= have]
            more = int(later[0]) - have if later.size else None
    return SizePlan(
        rule=rule,
        expected_rate=expected_rate,
        power=power,
        reach=reach,
        required=required,
        stable_from=stable_from,
        dips=_runs(below),
        chance_required=float(chance[required - 1]) if required else None,
        false_pass_required=at[1],
        best_size=best + 1,
        best_chance=float(chance[best]),
        have=have,
        chance_have=chance_have,
        false_pass_have=false_have,
        more=more,
    )


def _at(rule: Rule, n: int, rate: float | None = None) -> tuple[float | None, float]:
    """(chance at `rate`, chance at the threshold) for n cases; n ≤ 0 never passes."""
    expected = None if rate is None else chance_of_passing(rule, n, rate)
    return expected, chance_of_passing(rule, n, rule.threshold)


def _never(rule: Rule, expected_rate: float) -> bool:
    """No size can be expected to pass: the system is not expected to beat the threshold on the
    bound (at equality the chance stays near 2.5%), or for a point judgement to reach it."""
    if rule.judged_on == "point":
        return expected_rate > rule.threshold if rule.at_most else expected_rate < rule.threshold
    return expected_rate >= rule.threshold if rule.at_most else expected_rate <= rule.threshold


def _runs(sizes: np.ndarray) -> tuple[tuple[int, int], ...]:
    """Consecutive sizes as (first, last) runs."""
    if not sizes.size:
        return ()
    breaks = np.flatnonzero(np.diff(sizes) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [sizes.size - 1]))
    return tuple((int(sizes[a]), int(sizes[b])) for a, b in zip(starts, ends, strict=True))


def cases_needed(rule: Rule, expected_rate: float, power: float = DEFAULT_POWER) -> int | None:
    """The smallest size at which a system at `expected_rate` passes with chance ≥ `power`;
    None when no size up to MAX_CASES does (see `size_plan(...).reach` for why)."""
    return size_plan(rule, expected_rate, power).required


def more_needed(
    have: int, rule: Rule, expected_rate: float, power: float = DEFAULT_POWER
) -> int | None:
    """How many more cases (graded outputs, ...) until the chance reaches `power`: the smallest
    addition that does, 0 when `have` already does, None when no size up to MAX_CASES does."""
    return size_plan(rule, expected_rate, power, have).more
