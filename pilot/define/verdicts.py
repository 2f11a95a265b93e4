"""Judge a run's figures against an acceptance bar, criterion by criterion, without spin.

A criterion judged on the lower bound passes only when the 95% Wilson lower bound clears the
threshold (upper bound for lower-is-better metrics); a point criterion compares the estimate.
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


DEFAULT_MAX_ERROR_RATE = 0.02


def inconclusive(errors: int, n_cases: int, max_error_rate: float) -> bool:
    """Too many cases failed for infrastructure reasons to judge the system on the rest."""
    return n_cases > 0 and errors / n_cases > max_error_rate


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
    errors: int = 0  # cases whose system call failed (infrastructure: API errors, timeouts)
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    inconclusive: bool = False  # errors / n_cases over max_error_rate: not judged, exit 5

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
    errors = int(frames.results["error"].is_not_null().sum()) if n_cases else 0
    limit = (bar or {}).get("max_error_rate")
    limit = DEFAULT_MAX_ERROR_RATE if limit is None else float(limit)
    unjudged = inconclusive(errors, n_cases, limit)
    if bar is None:
        return Verdict(
            exploratory=True,
            bar_version=None,
            n_cases=n_cases,
            critical_errors=crit,
            passed=False,
            errors=errors,
            max_error_rate=limit,
            inconclusive=unjudged,
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
        passed=ok and not unjudged,
        errors=errors,
        max_error_rate=limit,
        inconclusive=unjudged,
    )


def _criterion(c: dict[str, Any], scope: str, e: Estimate) -> CriterionResult:
    threshold = float(c["threshold"])
    judged_on = c.get("judged_on", "point")
    at_most = c["metric"] in LOWER_IS_BETTER
    if e.value is None:
        judged = None
    elif judged_on == "lower_bound":
        judged = e.high if at_most else e.low
    else:
        judged = e.value
    passed = judged is not None and (judged <= threshold if at_most else judged >= threshold)
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
