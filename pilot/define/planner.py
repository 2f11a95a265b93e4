"""The sample-size planner beside each criterion: how many cases so that a system as good as
expected passes, and what chance the newest golden set gives it.

The figures are exact (`metrics.planner`): binomial sums over the very rule the verdict applies
(`Criterion.passes` itself, handed to the planner by `criterion_rule`, on the Wilson interval),
for every criterion kind on a rate: at-least and at-most, point and bound judgements
(percentiles and means are not sized). Each metric counts its own units, and the planner counts
the same ones in the golden set: unanswerable cases for the abstain rate, answerable cases for
false abstentions, answerable cases with gold evidence for evidence recall. Two metrics count
what only a run produces (citations, answered cases); there the answerable cases stand in,
and the row says so. A tag scope narrows every count to the cases carrying the tag. The
golden-set tables belong to a later step: every query first checks they exist.

For review samples and readiness gates: `rule = criterion_rule(criterion)`, then
`metrics.planner.cases_needed(rule, expected)`, `more_needed(have, rule, expected)` and
`metrics.planner_text.more_sentence(have, rule, expected, unit="graded outputs")`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from metrics.planner import DEFAULT_POWER, MAX_CASES, Rule, SizePlan, size_plan
from metrics.planner_text import chance_text, count_text, plan_sentences, rate_text
from pilot.define.bars import AcceptanceBar, Planning, planning_key
from pilot.define.criteria import Criterion, criterion_name, describe_criterion, threshold_text

Count = Literal["cases", "answerable", "unanswerable", "evidence"]
Tone = Literal["ok", "short", "none", "warn"]


@dataclass(frozen=True)
class Counted:
    """What a metric counts, and which golden-set count stands for it."""

    noun: str
    count: Count
    exact: bool = True  # False: only a run knows the real count; `count` stands in


BY_POPULATION: dict[str, Counted] = {
    "all": Counted("cases", "cases"),
    "answerable": Counted("answerable cases", "answerable"),
    "unanswerable": Counted("unanswerable cases", "unanswerable"),
}
"""A rate counts the golden-set cases its registration names (`MetricSpec.population`) ..."""
COUNTED: dict[str, Counted] = {
    "citation_precision": Counted("citations", "answerable", exact=False),
    "citation_coverage": Counted("answered cases", "answerable", exact=False),
    "evidence_recall": Counted("answerable cases with gold evidence", "evidence"),
}
"""... except where its unit is narrower or only a run knows it."""


def counted(c: Criterion) -> Counted:
    return COUNTED.get(c.metric) or BY_POPULATION[c.spec.population]


STAND_IN = {
    "citation_precision": "a run counts citations; each answered case carries at least one, so "
    "the answerable cases are a floor",
    "citation_coverage": "a run counts the cases it answered; the answerable ones stand in",
}
STAND_IN_UNIT = {
    "citation_precision": "answerable cases (a floor for citations)",
    "citation_coverage": "answerable cases (standing in for answered ones)",
}


@dataclass(frozen=True)
class GoldenSetSize:
    version: str
    name: str
    n_cases: int
    n_unanswerable: int


@dataclass(frozen=True)
class PlannerContext:
    """The newest golden set's counts, overall and per tag, read once for a page of criteria."""

    golden: GoldenSetSize | None = None
    overall: dict[str, int] = field(default_factory=dict)
    by_tag: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        return sorted(self.by_tag)

    def have(self, c: Criterion) -> int | None:
        """The units the criterion's metric is measured on, within its scope."""
        if self.golden is None:
            return None
        counts = self.overall if c.tag is None else self.by_tag.get(c.tag, {})
        return counts.get(counted(c).count, 0)


def plannable(c: Criterion) -> bool:
    """Whether the planner can size the criterion: a rate (k of n, with a Wilson interval), not
    a percentile's or a mean's."""
    return c.spec.proportion


def default_expected_rate(c: Criterion) -> float:
    """Halfway between the threshold and perfect: a hopeful but not heroic guess (a rate only;
    0 for a metric the planner does not size)."""
    if not plannable(c):
        return 0.0
    value = (1 + c.threshold) / 2 if c.comparison == "at_least" else c.threshold / 2
    return round(value, 3)


def criterion_rule(c: Criterion) -> Rule:
    """The criterion as the planner judges it: the verdict's own rule (`Criterion.passes`,
    which works element-wise on numpy arrays) on the Wilson interval every rate reports."""
    if not plannable(c):
        raise ValueError(f"the planner sizes rates only, not {c.spec.label.lower()}")
    at_most = c.comparison == "at_most"
    return Rule(c.passes, threshold=c.threshold, at_most=at_most, judged_on=c.judged_on)


def unit_text(c: Criterion) -> str:
    """Plain text, e.g. "unanswerable cases tagged 'numeric'"; escape it where it is drawn."""
    return counted(c).noun + (f" tagged {c.tag!r}" if c.tag else "")


@dataclass(frozen=True)
class PlannerRow:
    index: int
    criterion: Criterion
    description: str
    unit: str
    plan: SizePlan | None  # None: not a rate, so the planner does not size it
    sentences: list[str]
    have_exact: bool = True

    @property
    def expected_rate(self) -> float | None:
        return self.plan.expected_rate if self.plan else None

    @property
    def required(self) -> int | None:
        return self.plan.required if self.plan else None

    @property
    def have(self) -> int | None:
        return self.plan.have if self.plan else None

    @property
    def enough(self) -> bool | None:
        return self.plan.enough if self.plan else None

    @property
    def headline(self) -> str:
        """The figure first: "217 cases needed", "more than 20,000", "no size will do"."""
        if self.plan is None:
            return "Not sized by the planner"
        if self.plan.reach == "never":
            return "No size will do"
        if self.plan.reach == "beyond":
            return f"More than {MAX_CASES:,} {self.unit} needed"
        assert self.plan.required is not None
        text = f"{count_text(self.plan.required, self.unit)} needed"
        return text[0].upper() + text[1:]

    @property
    def status(self) -> tuple[Tone, str]:
        """A tone and a short verdict in fixed words (no user text), for a coloured box. A point
        judgement is always a warning: a system at the threshold passes about half the time."""
        if self.plan is None:
            return "none", "The planner sizes rates only; see below."
        tone, text = self._status(self.plan)
        p = self.plan
        n = p.have or p.required
        if p.rule.judged_on != "point" or not n or p.reach != "reached":
            return tone, text
        false_pass = (p.false_pass_have if p.have else p.false_pass_required) or 0.0
        return "warn", (
            f"{text} But judged on the point estimate, a system exactly at the threshold "
            f"passes {chance_text(false_pass)} of the time with {n:,}."
        )

    @staticmethod
    def _status(p: SizePlan) -> tuple[Tone, str]:
        target = rate_text(p.power)
        if p.reach == "never":
            return "warn", f"No size makes it pass {target} of the time: see why below."
        if p.reach == "beyond":
            return "warn", f"Needs more than {MAX_CASES:,} to pass {target} of the time."
        if p.have is None:
            return "none", f"{p.required:,} needed to pass {target} of the time; no golden set yet."
        chance = chance_text(p.chance_have or 0.0)
        if p.enough:
            return "ok", f"Enough: with {p.have:,} it passes {chance} of the time."
        more = f"add about {p.more:,}" if p.more else "no size will do"
        return "short", f"Too few: with {p.have:,} it passes only {chance} of the time; {more}."

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape `pilot bar plan --json` prints for one criterion."""
        p = self.plan
        head = {
            "index": self.index,
            "criterion": self.criterion.model_dump(mode="json"),
            "description": self.description,
            "planned": p is not None,
            "unit": self.unit,
        }
        if p is None:
            return head | {"sentences": self.sentences}
        return head | {
            "expected_rate": p.expected_rate,
            "power": p.power,
            "reach": p.reach,
            "required": p.required,
            "chance_at_required": p.chance_required,
            "chance_at_threshold_at_required": p.false_pass_required,
            "dips": [list(d) for d in p.dips],
            "stable_from": p.stable_from,
            "search_bound": MAX_CASES,
            "best_size": p.best_size,
            "best_chance": p.best_chance,
            "have": p.have,
            "have_exact": self.have_exact,
            "chance_at_have": p.chance_have,
            "chance_at_threshold_at_have": p.false_pass_have,
            "more": p.more,
            "enough": p.enough,
            "sentences": self.sentences,
        }


def plan_row(
    ctx: PlannerContext,
    index: int,
    c: Criterion,
    expected_rate: float,
    power: float = DEFAULT_POWER,
) -> PlannerRow:
    """One criterion's plan at `expected_rate`, against the golden set in `ctx`."""
    if not plannable(c):
        why = (
            f"The planner sizes rates only (k of n, with a Wilson interval); {c.spec.label} is a "
            f"{c.spec.summary.kind}, so only the bar's minimum number of cases applies to it."
        )
        return PlannerRow(index, c, describe_criterion(c), c.spec.label, None, [why])
    have = ctx.have(c)
    plan = size_plan(criterion_rule(c), float(expected_rate), float(power), have)
    unit = unit_text(c)
    exact = counted(c).exact
    have_unit = None if exact else STAND_IN_UNIT[c.metric] + (f" tagged {c.tag!r}" if c.tag else "")
    sentences = plan_sentences(plan, unit, have_unit=have_unit)
    if have is None:
        sentences.append("No golden set to compare yet.")
    elif not exact:
        sentences.append(f"Counted approximately: {STAND_IN[c.metric]}.")
    return PlannerRow(index, c, describe_criterion(c), unit, plan, sentences, exact)


def planner_rows(
    ctx: PlannerContext,
    bar: AcceptanceBar,
    expected_rates: Mapping[int, float] | None = None,
    power: float = DEFAULT_POWER,
) -> list[PlannerRow]:
    """For each criterion: the plan at its expected rate (`expected_rates` maps a criterion's
    index to it; the default otherwise) against the golden set in `ctx`
    (`pilot.goldensets.sizes.planner_context` reads it)."""
    rates = expected_rates or {}
    return [
        plan_row(ctx, i, c, rates.get(i, default_expected_rate(c)), power)
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


def planner_table(rows: list[PlannerRow], power: float = DEFAULT_POWER) -> list[dict[str, Any]]:
    """One line per criterion for a table: the figures, no sentences."""

    def line(row: PlannerRow) -> dict[str, Any]:
        p = row.plan
        return {
            "criterion": criterion_name(row.criterion.metric, row.criterion.scope),
            "threshold": threshold_text(row.criterion),
            "counts": row.unit if p else "not a rate",
            "expected rate": rate_text(p.expected_rate) if p else None,
            f"needed ({rate_text(power)} chance)": p.required if p else None,
            "it has": p.have if p else None,
            "chance with it": None
            if p is None or p.chance_have is None
            else chance_text(p.chance_have),
            "add about": p.more if p else None,
            "enough": {True: "yes", False: "NO", None: "—"}[row.enough],
        }

    return [line(row) for row in rows]


def expected_rate(bar: AcceptanceBar | None, c: Criterion) -> float:
    """The expected rate the lead saved with the bar for `c`, else the default guess."""
    saved = bar.planning.expected(c) if bar is not None and bar.planning is not None else None
    return default_expected_rate(c) if saved is None else saved


def planning_to_save(
    previous: AcceptanceBar | None,
    rates: Mapping[Criterion, float],
    goldenset_version: str | None,
    power: float,
    newest_goldenset: str | None,
) -> Planning | None:
    """The planning assumptions a draft saves: None while they are all still the defaults and
    the bar it was edited from had none (so opening an old bar does not look like an edit)."""
    planning = Planning(
        goldenset_version=goldenset_version,
        expected_rates={planning_key(c): float(r) for c, r in rates.items()},
        power=float(power),
    )
    untouched = (
        goldenset_version == newest_goldenset
        and abs(power - DEFAULT_POWER) < 1e-9
        and all(abs(r - default_expected_rate(c)) < 1e-9 for c, r in rates.items())
    )
    if untouched and (previous is None or previous.planning is None):
        return None
    return planning
