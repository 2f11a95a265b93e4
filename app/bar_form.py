"""The Acceptance bar editor's widget values for a bar (layout state only: the rules and the
planner's defaults come from `pilot.define`)."""

from __future__ import annotations

from typing import Any

from pilot.define import bars, criteria, planner

NEW_CRITERION = criteria.Criterion(metric="accuracy", threshold=0.9)


def percent(rate: float) -> float:
    """A rate as the editor shows it: 0.95 → 95.0."""
    return round(rate * 100, 6)


def stored_threshold(metric: str, shown: float) -> float:
    """The threshold typed (a percentage for a rate) as the bar stores it (a rate); as typed
    for a metric that is not registered (the bar's own check then names it)."""
    try:
        return criteria.threshold_input(metric).stored(shown)
    except ValueError:  # an unknown metric
        return shown


def rate(shown: float) -> float:
    """A percentage typed in the editor as a rate: 95.0 → 0.95."""
    return round(float(shown) / 100, 10)


def row_values(rid: int, c: criteria.Criterion, bar: bars.AcceptanceBar | None) -> dict[str, Any]:
    """One criterion row's widgets; its expected rate is the one saved with `bar`, if any."""
    return {
        f"bar_c_metric_{rid}": c.metric,
        f"bar_c_threshold_{rid}": criteria.threshold_input(c.metric).shown(c.threshold),
        f"bar_c_scope_{rid}": c.scope,
        f"bar_c_judged_{rid}": c.judged_on,
        f"bar_c_expected_{rid}": percent(planner.expected_rate(bar, c)),
    }


def form_values(bar: bars.AcceptanceBar | None, rows: list[int] | None) -> dict[str, Any]:
    """The editor's widget values for `bar`: rows `rows` (None: one per criterion), a row the
    lead added beyond the bar's criteria starting as a new criterion would."""
    shown = bar or bars.AcceptanceBar()
    rids = list(range(len(shown.criteria))) if rows is None else rows
    values: dict[str, Any] = {
        "bar_rows": rids,
        "bar_next": max(rids, default=-1) + 1,
        "bar_min_cases": shown.min_cases,
        "bar_max_critical": shown.max_critical_errors,
        "bar_when_unsure": shown.when_unsure,
        "bar_match_rule": shown.match_rule.rule,
        "bar_match_threshold": shown.match_rule.threshold or 0.5,
        "bar_match_tolerance": shown.match_rule.tolerance or 0.0,
        "bar_match_rubric": shown.match_rule.rubric or bars.DEFAULT_RUBRIC,
        "bar_match_judge_model": shown.match_rule.judge_model or bars.DEFAULT_JUDGE_MODEL,
    }
    for rid in rids:
        c = shown.criteria[rid] if rid < len(shown.criteria) else NEW_CRITERION
        values.update(row_values(rid, c, bar if rid < len(shown.criteria) else None))
    return values
