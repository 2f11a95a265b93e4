"""Rules for the planner's pure tests: the bar's judging rule restated by hand, independently of
`pilot.define.criteria.Criterion.passes` (tests/pilot/test_bar_planner.py checks that the
planner given the real rule agrees with the run's verdict count by count)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metrics.planner import Interval, JudgedOn, Rule


@dataclass(frozen=True)
class HandJudge:
    """At least (at most) the threshold, on the point or the conservative bound; ties pass."""

    threshold: float
    at_most: bool
    judged_on: str

    def __call__(self, value: Any, low: Any, high: Any) -> Any:
        judged = value if self.judged_on == "point" else (high if self.at_most else low)
        return judged <= self.threshold if self.at_most else judged >= self.threshold


def rule(
    threshold: float,
    at_most: bool = False,
    judged_on: JudgedOn = "lower_bound",
    interval: Interval = "wilson",
) -> Rule:
    return Rule(HandJudge(threshold, at_most, judged_on), threshold, at_most, judged_on, interval)
