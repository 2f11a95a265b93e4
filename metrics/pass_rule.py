"""The one rule that decides whether a figure clears a bar criterion.

A criterion is judged on the point estimate or on the conservative end of its 95% interval: the
lower bound for an at-least rate, the upper bound for an at-most one. The verdict on a run
(`pilot.define.verdicts`), the bar's own `Criterion.passes`, the charts and the sample-size planner
(`metrics.planner`) all call these functions, so a plan can never promise a pass that the
verdict would refuse. Both work element-wise on numpy arrays as well as on floats.
"""

from __future__ import annotations

from typing import Literal, TypeVar

JudgedOn = Literal["point", "lower_bound"]
T = TypeVar("T")


def judged_value(value: T, low: T, high: T, *, judged_on: str, at_most: bool) -> T:
    """The figure compared with the threshold, given an estimate and its 95% interval."""
    if judged_on == "point":
        return value
    return high if at_most else low


def clears(judged: T, threshold: float, *, at_most: bool) -> bool | T:
    """At least the threshold (at most, for a lower-is-better rate); equality clears."""
    return judged <= threshold if at_most else judged >= threshold  # type: ignore[operator]


def passes(
    value: T, low: T, high: T, *, threshold: float, judged_on: str, at_most: bool
) -> bool | T:
    """Whether an estimate with its interval clears the criterion."""
    judged = judged_value(value, low, high, judged_on=judged_on, at_most=at_most)
    return clears(judged, threshold, at_most=at_most)
