"""The autonomy ladder's gates, each requirement computed from stored evidence only.

Every figure is judged by the one criterion rule (`Criterion.passes`, via `judge_criterion`):
live accuracy by the signed bar's own accuracy criterion (its threshold and judged-on basis);
agreement and the approval-without-edit rate as at-least proportions. "What is missing" comes
from `metrics.planner.more_needed` ("about N more graded outputs").

0 → 1: the run of record of the active config passes the signed bar.
1 → 2: at least `min_live_graded` live outputs graded at stage 1; their accuracy clears the bar;
       no critical error in the latest window; agreement (Krippendorff's alpha) at least
       `min_agreement`.
2 → 3: over the latest `approval_windows` consecutive ISO weeks, each with at least
       `min_approvals_per_window` approvals of stage-2 outputs, the approval-without-edit rate
       clears `approval_threshold`, and no critical error was graded in them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from metrics.estimate import Estimate
from metrics.intervals import wilson
from metrics.planner import Rule
from metrics.planner import more_needed as planner_more_needed
from pilot.core.store import table_exists
from pilot.define.bar_versions import latest_signed_bar
from pilot.define.criteria import Criterion, judge_criterion
from pilot.readiness.record import run_of_record
from pilot.readiness.settings import GateSettings, gate_settings
from pilot.readiness.stages import STAGES, active_config, current_stage
from pilot.results.humane import plural
from pilot.review.stage_evidence import approvals_at_stage, graded_at_stage


@dataclass(frozen=True)
class Requirement:
    name: str
    value: float | None
    low: float | None
    high: float | None
    threshold: float | None
    n: int
    met: bool
    evidence: str
    missing: str  # "" when met

    @property
    def status(self) -> str:
        return "met" if self.met else "not met"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"status": self.status}


@dataclass(frozen=True)
class Gate:
    from_stage: int
    to_stage: int
    requirements: list[Requirement] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return bool(self.requirements) and all(r.met for r in self.requirements)

    @property
    def name(self) -> str:
        return (
            f"{self.from_stage} {STAGES[self.from_stage]} → {self.to_stage} {STAGES[self.to_stage]}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "name": self.name,
            "met": self.met,
            "requirements": [r.as_dict() for r in self.requirements],
        }


def proportion(threshold: float, judged_on: str = "lower_bound") -> Criterion:
    """An at-least proportion criterion (judged by the one rule) for a gate's own rates."""
    return Criterion(metric="accuracy", threshold=float(threshold), judged_on=judged_on)  # type: ignore[arg-type]


def accuracy_criterion(con: duckdb.DuckDBPyConnection) -> Criterion | None:
    bar = latest_signed_bar(con) if table_exists(con, "bar_versions") else None
    if bar is None:
        return None
    return next((c for c in bar.bar.criteria if c.metric == "accuracy" and c.scope == "all"), None)


def rate(k: int, n: int) -> Estimate:
    low, high = wilson(k, n) if n else (None, None)
    return Estimate(name="rate", value=k / n if n else None, low=low, high=high, n=n)


def more_needed(crit: Criterion, k: int, n: int, what: str) -> str:
    """ "about N more graded outputs at the current rate", from the planner (the chance of
    passing at the observed rate reaching the planner's default power)."""
    if n == 0:
        return f"no {what} yet"
    rule = Rule(judge=crit.passes, threshold=crit.threshold, judged_on=crit.judged_on)
    try:
        more = planner_more_needed(n, rule, k / n)
    except ValueError as exc:
        return str(exc)
    if more is None:
        return f"at the current rate ({k / n:.1%}) no number of {what} clears {crit.threshold:.0%}"
    return f"about {more:,} more {what} at the current rate ({k / n:.1%})" if more else ""


def gate_0_1(con: duckdb.DuckDBPyConnection) -> Gate:
    config = active_config(con)
    run = run_of_record(con, config)
    if run is None:
        req = Requirement("run of record passes the signed bar", None, None, None, None, 0, False,
                          "no finished run on the current golden-set and signed bar versions"
                          + (f" for config {config[:8]}" if config else ""),
                          "a finished run of the active config against the signed bar")  # fmt: skip
    else:
        failing = ", ".join(run.failing)
        req = Requirement(
            "run of record passes the signed bar", float(run.n_criteria_passed),
            None, None, float(run.n_criteria), run.n_criteria, run.passed,
            f"run {run.run_id} ({'pinned' if run.pinned else 'newest'}), bar v{run.bar_version}: "
            + ("passes" if run.passed else f"fails {failing or 'the bar'}"),
            "" if run.passed else f"{failing} to pass",
        )  # fmt: skip
    return Gate(0, 1, [req])


def gate_1_2(con: duckdb.DuckDBPyConnection, s: GateSettings) -> Gate:
    weeks = graded_at_stage(con, 1)
    n, k = sum(w[1] for w in weeks), sum(w[2] for w in weeks)
    reqs = [Requirement(
        "enough live outputs graded at stage 1", float(n), None, None, float(s.min_live_graded),
        n, n >= s.min_live_graded, f"{n} graded at stage 1 over {plural(len(weeks), 'week')}",
        "" if n >= s.min_live_graded else f"{s.min_live_graded - n} more graded outputs",
    )]  # fmt: skip
    crit = accuracy_criterion(con)
    if crit is None:
        reqs.append(Requirement("live accuracy clears the bar", None, None, None, None, n, False,
                                "no signed bar with an accuracy criterion", "a signed bar"))  # fmt: skip
    else:
        r = judge_criterion(crit, rate(k, n))
        missing = "" if r.passed else more_needed(crit, k, n, "graded outputs")
        reqs.append(Requirement(
            "live accuracy clears the bar", r.value, r.low, r.high, crit.threshold, n, r.passed,
            f"{k} of {n} correct, judged on the {crit.judged_on.replace('_', ' ')}",
            missing or ("" if r.passed else "accuracy above the bar"),
        ))  # fmt: skip
    latest = weeks[-1] if weeks else None
    crit_n = latest[3] if latest else 0
    reqs.append(Requirement(
        "no critical error in the latest window", float(crit_n), None, None, 0.0,
        latest[1] if latest else 0, latest is not None and crit_n == 0,
        f"{plural(crit_n, 'critical error')} in {latest[0]}" if latest else "no graded window",
        "" if latest and not crit_n else ("a window with no critical error" if latest
                                          else "a graded window"),
    ))  # fmt: skip
    reqs.append(agreement_requirement(con, s))
    return Gate(1, 2, reqs)


def agreement_requirement(con: duckdb.DuckDBPyConnection, s: GateSettings) -> Requirement:
    from pilot.review.dashboard import agreement

    data = agreement(con) if table_exists(con, "grades") else {"alpha": None, "n_double_graded": 0}
    alpha, n = data["alpha"], data["n_double_graded"]
    ok = proportion(s.min_agreement, "point").passes(alpha)
    return Requirement(
        "graders agree", alpha, None, None, s.min_agreement, n, ok,
        f"Krippendorff's alpha {alpha:.2f} over {n} double-graded outputs" if alpha is not None
        else "no output graded by two people",
        "" if ok else "more double-graded outputs, or graders calibrated to agree",
    )  # fmt: skip


def _week_start(week: str) -> date:
    return date.fromisocalendar(int(week[:4]), int(week[6:8]), 1)


def gate_2_3(con: duckdb.DuckDBPyConnection, s: GateSettings) -> Gate:
    weeks = approvals_at_stage(con, 2)[-s.approval_windows :]
    critical = {w: c for w, _, _, c in graded_at_stage(con, 2)}
    rule = proportion(s.approval_threshold, s.approval_judged_on)
    reqs = []
    consecutive = len(weeks) == s.approval_windows and all(
        _week_start(b[0]) - _week_start(a[0]) == timedelta(weeks=1)
        for a, b in zip(weeks, weeks[1:], strict=False)
    )
    reqs.append(Requirement(
        f"{s.approval_windows} consecutive weeks of approvals at stage 2", float(len(weeks)),
        None, None, float(s.approval_windows), len(weeks), consecutive,
        ", ".join(w[0] for w in weeks) or "no approvals at stage 2",
        "" if consecutive else f"{s.approval_windows} consecutive ISO weeks with approvals",
    ))  # fmt: skip
    for week, n, k in weeks:
        r = judge_criterion(rule, rate(k, n))
        enough = n >= s.min_approvals_per_window
        missing = []
        if not enough:
            missing.append(f"{s.min_approvals_per_window - n} more approvals in {week}")
        if not r.passed:
            missing.append(more_needed(rule, k, n, "approvals") or "a higher rate")
        reqs.append(Requirement(
            f"approval-without-edit rate in {week}", r.value, r.low, r.high, s.approval_threshold,
            n, r.passed and enough, f"{k} of {n} approved without edit", "; ".join(missing),
        ))  # fmt: skip
        c = critical.get(week, 0)
        reqs.append(Requirement(
            f"no critical error in {week}", float(c), None, None, 0.0, n, c == 0,
            f"{plural(c, 'critical error')} graded", "" if c == 0 else "a week with no critical error",
        ))  # fmt: skip
    return Gate(2, 3, reqs)


def gate(con: duckdb.DuckDBPyConnection, from_stage: int) -> Gate:
    s = gate_settings(con)
    if from_stage == 0:
        return gate_0_1(con)
    if from_stage == 1:
        return gate_1_2(con, s)
    if from_stage == 2:
        return gate_2_3(con, s)
    raise ValueError(f"stage {from_stage} is the top of the ladder: no gate above it")


def all_gates(con: duckdb.DuckDBPyConnection) -> list[Gate]:
    return [gate(con, s) for s in (0, 1, 2)]


def next_gate(con: duckdb.DuckDBPyConnection) -> Gate | None:
    stage = current_stage(con)
    return gate(con, stage) if stage < 3 else None
