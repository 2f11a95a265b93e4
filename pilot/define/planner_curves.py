"""The planner's curves: what its charts draw and `pilot bar plan --json` prints.

For one criterion's plan, the chance of passing against the system's true rate (for the golden
set's size and the recommended one) and against the number of cases (at the expected rate, each
size computed, steps and dips included), all exact (`metrics.planner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from metrics.planner import MAX_CASES, SizePlan
from pilot.define.planner import PlannerRow


@dataclass(frozen=True)
class PlannerCurves:
    """What the planner's charts draw and `pilot bar plan --json` prints: the chance of passing
    against the true rate (for the golden set's size and the recommended one) and against the
    size (at the expected rate, steps and dips included)."""

    rates: list[float]
    chance_have: list[float] | None
    chance_required: list[float] | None
    sizes: list[int]
    chance_by_size: list[float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_rate": {
                "rate": self.rates,
                "chance_with_have": self.chance_have,
                "chance_with_required": self.chance_required,
            },
            "by_size": {"n": self.sizes, "chance": self.chance_by_size},
        }


def rate_window(threshold: float, expected: float) -> tuple[float, float]:
    """The true rates worth drawing: both marks, with room either side."""
    pad = max(0.05, abs(expected - threshold))
    return max(0.0, min(threshold, expected) - pad), min(1.0, max(threshold, expected) + pad)


def size_window(plan: SizePlan) -> int:
    """Sizes worth drawing: past the recommendation, the last dip and the golden set."""
    marks = [plan.required or 0, plan.stable_from or 0, plan.have or 0, 40]
    if plan.reach != "reached":
        marks.append(min(plan.best_size, 2_000))
    return min(MAX_CASES, max(int(1.25 * max(marks)) + 5, 50))


def planner_curves(row: PlannerRow, points: int = 161) -> PlannerCurves:
    from metrics.planner import chance_by_rate, chance_by_size

    if row.plan is None:
        raise ValueError(f"{row.description}: not a rate, so there is no plan to draw")
    plan, rule = row.plan, row.plan.rule
    low, high = rate_window(rule.threshold, plan.expected_rate)
    step = (high - low) / (points - 1)
    rates = [round(low + i * step, 6) for i in range(points)]
    sizes, by_size = chance_by_size(rule, plan.expected_rate, size_window(plan))

    def at(n: int | None) -> list[float] | None:
        return chance_by_rate(rule, n, rates).tolist() if n else None

    return PlannerCurves(rates, at(plan.have), at(plan.required), sizes.tolist(), by_size.tolist())
