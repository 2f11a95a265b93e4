"""Judge a run's figures against an acceptance bar, criterion by criterion, without spin.

Each criterion is judged by the one rule, `criteria.judge_criterion` (a figure exactly on the
threshold passes; a bound criterion judges the conservative end of the 95% interval; no figure
fails). A run against no signed bar is exploratory and says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from metrics import compute_all
from metrics.estimate import Estimate
from metrics.frames import RunFrames
from pilot.define.bar_versions import BarVersion
from pilot.define.criteria import CriterionResult, judge_criterion

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

    def missed(self) -> int:
        """How many requirements the run misses: criteria, case count, critical errors."""
        limit = self.max_critical_errors
        return (
            sum(not c.passed for c in self.criteria)
            + (not self.min_cases_met)
            + (limit is not None and len(self.critical_errors) > limit)
        )


def frames_metrics(frames: RunFrames) -> dict[str, Estimate]:
    return compute_all(**frames.inputs())


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
    frames: RunFrames, version: BarVersion | None, overall: dict[str, Estimate] | None = None
) -> Verdict:
    """The run's verdict against bar `version` (None: no bar, exploratory). Pass `overall`
    when the run's estimates are already computed."""
    n_cases = frames.results.height
    crit = critical_errors(frames.results)
    errors = int(frames.results["error"].is_not_null().sum()) if n_cases else 0
    limit = None if version is None else version.bar.max_error_rate
    limit = DEFAULT_MAX_ERROR_RATE if limit is None else float(limit)
    unjudged = inconclusive(errors, n_cases, limit)
    if version is None:
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
    bar = version.bar
    overall = frames_metrics(frames) if overall is None else overall
    by_tag: dict[str, dict[str, Estimate]] = {}
    results = []
    for c in bar.criteria:
        if c.tag is None:
            estimate = overall[c.metric]
        else:
            if c.tag not in by_tag:
                by_tag[c.tag] = frames_metrics(frames.tagged(c.tag))
            estimate = by_tag[c.tag][c.metric]
        results.append(judge_criterion(c, estimate))
    ok = (
        all(r.passed for r in results)
        and n_cases >= bar.min_cases
        and len(crit) <= bar.max_critical_errors
    )
    return Verdict(
        exploratory=not version.signed,
        bar_version=version.version,
        criteria=results,
        min_cases=bar.min_cases,
        n_cases=n_cases,
        min_cases_met=n_cases >= bar.min_cases,
        max_critical_errors=bar.max_critical_errors,
        critical_errors=crit,
        passed=ok and not unjudged,
        errors=errors,
        max_error_rate=limit,
        inconclusive=unjudged,
    )
