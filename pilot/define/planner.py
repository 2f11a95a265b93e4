"""The sample-size planner beside each criterion: how many cases a bar needs, and whether the
newest golden set has them.

A criterion judged on the 95% lower bound can only be cleared with enough cases: at the rate the
system is expected to reach, the bound must rise above the threshold (`metrics.planner`). Each
metric is measured on part of the golden set (abstention on the unanswerable cases, say), and a
tag scope narrows it further, so the count compared is that part. The golden-set tables belong
to a later step: every query here first checks they exist, so the planner works without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from metrics.units import UNITS
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion, describe_criterion
from pilot.readiness.steps import table_exists


@dataclass(frozen=True)
class GoldenSetSize:
    version: str
    name: str
    n_cases: int
    n_unanswerable: int


@dataclass(frozen=True)
class PlannerRow:
    index: int
    description: str
    expected_rate: float
    required: int | None
    have: int | None
    enough: bool | None
    population: str
    sentence: str


def latest_goldenset(
    con: duckdb.DuckDBPyConnection, version: str | None = None
) -> GoldenSetSize | None:
    """The newest imported golden set (or `version`), if that step's tables exist yet."""
    if not table_exists(con, "goldenset_versions"):
        return None
    row = con.execute(
        "SELECT version, name, n_cases, n_unanswerable FROM goldenset_versions "
        "WHERE ? IS NULL OR version = ? ORDER BY created_at DESC LIMIT 1",
        [version, version],
    ).fetchone()
    return GoldenSetSize(str(row[0]), str(row[1]), int(row[2]), int(row[3] or 0)) if row else None


@dataclass(frozen=True)
class PlannerContext:
    """The newest golden set's size, overall and per tag, read once for a page of criteria."""

    golden: GoldenSetSize | None = None
    by_tag: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return sorted(self.by_tag)

    def have(self, c: Criterion) -> int | None:
        """Cases the criterion's metric is measured on, within its scope."""
        if self.golden is None:
            return None
        if c.judged_on == "point":
            return self.golden.n_cases
        counts = (
            {
                "all": self.golden.n_cases,
                "answerable": self.golden.n_cases - self.golden.n_unanswerable,
                "unanswerable": self.golden.n_unanswerable,
            }
            if c.tag is None
            else self.by_tag.get(c.tag, {"all": 0, "answerable": 0, "unanswerable": 0})
        )
        return counts[c.spec.population]


def planner_context(con: duckdb.DuckDBPyConnection, version: str | None = None) -> PlannerContext:
    golden = latest_goldenset(con, version)
    if golden is None or not table_exists(con, "golden_cases"):
        return PlannerContext(golden)
    rows = con.execute(
        "SELECT tag, count(*), count(*) FILTER (WHERE answerable) FROM "
        "(SELECT unnest(tags) AS tag, answerable FROM golden_cases WHERE version = ?) "
        "GROUP BY tag",
        [golden.version],
    ).fetchall()
    by_tag = {tag: {"all": n, "answerable": k, "unanswerable": n - k} for tag, n, k in rows if tag}
    return PlannerContext(golden, by_tag)


def known_tags(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Tags of the newest golden set's cases, for the scope picker."""
    return planner_context(con).tags


def percent(value: float) -> str:
    return UNITS["percent"].text(value)


def plannable(c: Criterion) -> bool:
    """Whether the planner can size the criterion: a rate's 95% bound (Wilson), not a
    percentile's or a mean's."""
    return c.spec.proportion


def default_expected_rate(c: Criterion) -> float:
    """Halfway between the threshold and perfect: a hopeful but not heroic guess."""
    value = (1 + c.threshold) / 2 if c.comparison == "at_least" else c.threshold / 2
    return round(value, 3)


def plan_criterion(
    c: Criterion, expected_rate: float, have: int | None, min_cases: int
) -> tuple[int | None, bool | None, str]:
    """(cases needed, whether `have` is enough or None without a golden set, one sentence)."""
    from metrics.planner import plan

    if c.judged_on == "point" or not plannable(c):
        tail = "." if have is None else f"; the golden set has {have}."
        why = (
            "Judged on the point estimate"
            if c.judged_on == "point"
            else f"The planner sizes rates only, not {c.spec.label.lower()}"
        )
        sentence = f"{why}, so only the bar's minimum of {min_cases} cases"
        return min_cases, None if have is None else have >= min_cases, sentence + " applies" + tail
    higher = c.comparison == "at_least"
    bound_name, at = ("lower", "at least") if higher else ("upper", "at most")
    expect = f"At an expected {percent(expected_rate)}"
    # An at-most rate r ≤ t is the at-least rate 1-r ≥ 1-t: the same Wilson interval, mirrored.
    mirror = (lambda x: x) if higher else (lambda x: 1 - x)
    problem = None
    try:
        result = plan(mirror(c.threshold), mirror(expected_rate), have or 0)
    except ValueError as exc:
        result, problem = None, str(exc)
    if result is None or result["required"] is None:
        problem = problem or (
            f"the 95% {bound_name} bound can never be {at} {percent(c.threshold)}; the system "
            f"must do clearly {'better' if higher else 'less'} than the threshold, not just match it"
        )
        return None, None if have is None else False, f"{expect}: {problem}."
    required = result["required"]
    noun = {"all": "cases", "answerable": "answerable cases", "unanswerable": "unanswerable cases"}
    what = noun[c.spec.population] + (f" tagged {c.tag!r}" if c.tag else "")
    need = (
        f"Needs at least {required} {what}: {expect.lower()}, the 95% {bound_name} bound is "
        f"then {at} {percent(c.threshold)}."
    )
    if have is None:
        return required, None, need + " No golden set to compare yet."
    if result["enough"]:
        return required, True, f"{need} The golden set has {have}: enough."
    bound = result["lower_bound"]
    now = "n/a" if bound is None else percent(mirror(bound))
    more = f"; add {required - have} more" if required > have else ""
    return (
        required,
        False,
        f"{need} The golden set has {have}: too few, {bound_name} bound {now}{more}.",
    )


def plan_row(
    ctx: PlannerContext, index: int, c: Criterion, expected_rate: float, min_cases: int
) -> PlannerRow:
    have = ctx.have(c)
    required, enough, sentence = plan_criterion(c, expected_rate, have, min_cases)
    population = c.spec.population if c.judged_on == "lower_bound" else "all"
    return PlannerRow(
        index, describe_criterion(c), expected_rate, required, have, enough, population, sentence
    )


def planner_rows(
    con: duckdb.DuckDBPyConnection,
    bar: AcceptanceBar,
    expected_rates: Mapping[int, float] | None = None,
    version: str | None = None,
) -> list[PlannerRow]:
    """For each criterion: cases needed at the expected rate, and whether the newest golden
    set (or `version`) has them. `expected_rates` maps a criterion's index to its rate."""
    ctx = planner_context(con, version)
    rates = expected_rates or {}
    return [
        plan_row(ctx, i, c, rates.get(i, default_expected_rate(c)), bar.min_cases)
        for i, c in enumerate(bar.criteria)
    ]


def min_cases_note(ctx: PlannerContext, bar: AcceptanceBar) -> str | None:
    golden = ctx.golden
    if golden is None:
        return None
    verdict = "meets" if golden.n_cases >= bar.min_cases else "is below"
    return (
        f"The newest golden set, {golden.name} ({golden.n_cases} cases), {verdict} the bar's "
        f"minimum of {bar.min_cases} cases."
    )
