"""Judge a run's figures against an acceptance bar, criterion by criterion, without spin.

A criterion judged on the lower bound passes only when the 95% Wilson lower bound clears the
threshold (upper bound for lower-is-better metrics); a point criterion compares the estimate.
That rule is `metrics.pass_rule`, the one the sample-size planner sizes golden sets for.
A criterion with no data (n = 0) fails: no evidence is not a pass. A run against no signed bar
is exploratory and says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from metrics import compute_all
from metrics.estimate import Estimate
from metrics.frames import RunFrames
from metrics.pass_rule import clears, judged_value

LOWER_IS_BETTER = frozenset({"false_abstain_rate"})


@dataclass(frozen=True)
class CriterionResult:
    metric: str
    scope: str
    judged_on: str
    threshold: float
    direction: str  # at_least | at_most
    value: float | None
    low: float | None
    high: float | None
    n: int
    judged_value: float | None
    passed: bool


@dataclass(frozen=True)
class Verdict:
    exploratory: bool
    bar_version: int | None
    criteria: list[CriterionResult] = field(default_factory=list)
    min_cases: int = 0
    n_cases: int = 0
    min_cases_met: bool = True
    max_critical_errors: int | None = None
    critical_errors: list[str] = field(default_factory=list)
    passed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def frames_metrics(frames: RunFrames) -> dict[str, Estimate]:
    return compute_all(
        frames.results, frames.citations, frames.claims, frames.sources, frames.evidence
    )


def critical_errors(results: pl.DataFrame) -> list[str]:
    """Consequential cases answered wrongly (an abstention or an error is not a critical error:
    the case goes to a person)."""
    bad = results.filter(
        pl.col("consequential")
        & ~pl.col("abstained").fill_null(False)
        & pl.col("error").is_null()
        & ~pl.col("correct").fill_null(False)
    )
    return bad["case_id"].to_list()


def judge(
    frames: RunFrames, bar: dict[str, Any] | None, bar_version: int | None, signed: bool
) -> Verdict:
    n_cases = frames.results.height
    crit = critical_errors(frames.results)
    if bar is None:
        return Verdict(
            exploratory=True, bar_version=None, n_cases=n_cases, critical_errors=crit, passed=False
        )
    overall = frames_metrics(frames)
    results = []
    for c in bar.get("criteria", []):
        scope = c.get("scope", "all")
        if scope == "all":
            estimate = overall[c["metric"]]
        else:
            estimate = frames_metrics(frames.tagged(scope.removeprefix("tag:")))[c["metric"]]
        results.append(_criterion(c, scope, estimate))
    min_cases = int(bar.get("min_cases", 0) or 0)
    max_crit = bar.get("max_critical_errors")
    ok = (
        all(r.passed for r in results)
        and n_cases >= min_cases
        and (max_crit is None or len(crit) <= int(max_crit))
    )
    return Verdict(
        exploratory=not signed,
        bar_version=bar_version,
        criteria=results,
        min_cases=min_cases,
        n_cases=n_cases,
        min_cases_met=n_cases >= min_cases,
        max_critical_errors=max_crit,
        critical_errors=crit,
        passed=ok,
    )


def _criterion(c: dict[str, Any], scope: str, e: Estimate) -> CriterionResult:
    threshold = float(c["threshold"])
    judged_on = c.get("judged_on", "point")
    at_most = c["metric"] in LOWER_IS_BETTER
    judged = (
        None
        if e.value is None
        else judged_value(e.value, e.low, e.high, judged_on=judged_on, at_most=at_most)
    )
    passed = judged is not None and bool(clears(judged, threshold, at_most=at_most))
    return CriterionResult(
        metric=c["metric"],
        scope=scope,
        judged_on=judged_on,
        threshold=threshold,
        direction="at_most" if at_most else "at_least",
        value=e.value,
        low=e.low,
        high=e.high,
        n=e.n,
        judged_value=judged,
        passed=passed,
    )
