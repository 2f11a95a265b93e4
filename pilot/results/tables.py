"""The Results page's tables: the verdict criterion by criterion, and a section's measures.

Values are written in each metric's unit (from its registration) and every criterion's words
come from the criterion itself (`pilot.define.criteria`), so the table says exactly what the
verdict judged. An unknown value (a cost with no price) reads "unknown", never as 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from metrics.estimate import Estimate
from metrics.registry import get_metric, metric_names
from pilot.define.criteria import CriterionResult, basis, threshold_words
from pilot.define.verdicts import Verdict
from pilot.results.chart_style import Threshold, label, value_text


def interval(metric: str, low: float | None, high: float | None) -> str:
    """ "90.1% to 97.3%"; "— to 1,900 ms" where n is too small for one bound; "none" for a
    metric without an interval."""
    if low is None and high is None:
        return "—" if get_metric(metric).has_interval else "none (n shown)"
    return f"{value_text(metric, low)} to {value_text(metric, high)}"


def shown_value(e: Estimate) -> str:
    return f"unknown ({e.unknown})" if e.unknown else value_text(e.name, e.value)


def _result(c: CriterionResult, e: Estimate | None) -> str:
    if c.passed:
        return "PASS"
    if c.n == 0:
        return "FAIL (no cases)"
    if c.value is None:
        return "FAIL (unknown value)" if e is not None and e.unknown else "FAIL (no value)"
    if c.judged_value is None:
        return "FAIL (too few cases for a 95% bound)"
    return "FAIL"


def verdict_rows(verdict: Verdict, estimates: Mapping[str, Estimate]) -> list[dict[str, Any]]:
    """The verdict as a table of criteria, then the case count and critical errors. With no bar,
    the run's figures with no threshold and no result."""
    rows: list[dict[str, Any]] = []
    if not verdict.criteria:
        for name in metric_names():
            e = estimates.get(name) or Estimate.missing(name)
            rows.append(
                {
                    "criterion": label(name),
                    "scope": "all cases",
                    "judged on": "—",
                    "threshold": "no bar",
                    "value": shown_value(e),
                    "95% interval": interval(name, e.low, e.high),
                    "n": e.n,
                    "result": "—",
                }
            )
    for c in verdict.criteria:
        overall = estimates.get(c.metric) if c.scope == "all" else None
        rows.append(
            {
                "criterion": label(c.metric),
                "scope": "all cases" if c.scope == "all" else c.scope.replace("tag:", "tag: "),
                "judged on": basis(c.judged_on, c.direction).removeprefix("the "),
                "threshold": threshold_words(c.metric, c.direction, c.threshold),
                "value": shown_value(overall) if overall else value_text(c.metric, c.value),
                "95% interval": interval(c.metric, c.low, c.high),
                "n": c.n,
                "result": _result(c, overall),
            }
        )
    if verdict.criteria:
        rows.append(
            {
                "criterion": "Cases in the golden set",
                "scope": "all cases",
                "judged on": "count",
                "threshold": f"at least {verdict.min_cases}",
                "value": str(verdict.n_cases),
                "95% interval": "",
                "n": verdict.n_cases,
                "result": "PASS" if verdict.min_cases_met else "FAIL",
            }
        )
    crit = verdict.critical_errors
    limit = verdict.max_critical_errors
    rows.append(
        {
            "criterion": "Critical errors",
            "scope": "all cases",
            "judged on": "count",
            "threshold": "—" if limit is None else f"at most {limit}",
            "value": str(len(crit)),
            "95% interval": "",
            "n": verdict.n_cases,
            "result": "—" if limit is None else ("PASS" if len(crit) <= int(limit) else "FAIL"),
        }
    )
    return rows


def measure_rows(
    estimates: Mapping[str, Estimate], thresholds: Mapping[str, Threshold], names: Sequence[str]
) -> list[dict[str, Any]]:
    """A section's measures as a table (for measures in different units, which one chart
    cannot share): value, interval, n, and the bar's threshold with whether it is met."""
    rows = []
    for name in names:
        e = estimates.get(name) or Estimate.missing(name)
        t = thresholds.get(name)
        met = None if t is None else t.met(e.value, e.low, e.high)
        rows.append(
            {
                "metric": label(name),
                "value": shown_value(e),
                "95% interval": interval(name, e.low, e.high),
                "n": e.n,
                "bar": "no criterion" if t is None else t.describe(),
                "meets the bar": "—" if met is None else ("yes" if met else "no"),
            }
        )
    return rows


def metric_line(name: str, figures: Mapping[str, Any]) -> str:
    """One metric of `pilot run --json` as the CLI prints it: "0.925  [0.901, 0.944]  n=40",
    in the metric's unit where it has one ("1,240 ms  [1,180 ms, 1,320 ms]  n=40")."""
    if figures.get("unknown"):
        return f"unknown: {figures['unknown']}  n={figures['n']}"
    if figures.get("value") is None:
        return f"n/a (n={figures['n']})"

    def text(value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:.3f}" if get_metric(name).unit == "percent" else value_text(name, value)

    low, high = figures.get("low"), figures.get("high")
    bounds = "" if low is None and high is None else f"  [{text(low)}, {text(high)}]"
    return f"{text(figures['value'])}{bounds}  n={figures['n']}"
