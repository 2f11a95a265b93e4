"""The acceptance bar's content: criteria, the match rule, the limits, in plain language.

A bar is a value: its content hash is its identity, so equal bars hash equally and a signed
bar's hash pins exactly what was agreed. Storing versions and signing them is
`pilot.define.bar_versions`; judging a figure against a criterion is `pilot.define.criteria`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import Field, StrictFloat, StrictInt, field_validator, model_validator

from pilot.core.models import Frozen, content_hash
from pilot.define.criteria import Criterion, describe_criterion

RuleName = Literal["exact", "contains", "f1", "numeric", "judge"]
MATCH_RULES: tuple[str, ...] = get_args(RuleName)
"""Every rule a bar may choose: the ones `metrics.matching` computes, plus the LLM judge."""

DEFAULT_RUBRIC = (
    "The answer is correct when it states the same facts as the reference answer, including "
    "every number, amount and condition; extra correct detail is fine; a hedge, a different "
    "number or a missing condition is incorrect."
)
DEFAULT_JUDGE_MODEL = "claude-haiku-4-5"


MAX_MIN_CASES = 10_000_000
"""Bar fields are strictly typed (no bools, no numeric strings, no 1e12): a bar is a contract."""


class MatchRule(Frozen):
    """How an answer is compared with the expected one. Parameters a rule does not use are
    dropped, and a used one left out takes its default, so equal rules hash equally."""

    rule: RuleName = "contains"
    threshold: StrictFloat | None = Field(default=None, ge=0.0, le=1.0)
    tolerance: StrictFloat | None = Field(default=None, ge=0.0)
    rubric: str | None = None  # judge only: what counts as a correct answer
    judge_model: str | None = None  # judge only: the Claude model that grades

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        rule = data.get("rule", "contains")
        if rule == "f1":
            data["threshold"] = 0.5 if data.get("threshold") is None else data["threshold"]
        else:
            data["threshold"] = None
        if rule == "judge":
            data["rubric"] = data.get("rubric") or DEFAULT_RUBRIC
            data["judge_model"] = data.get("judge_model") or DEFAULT_JUDGE_MODEL
        else:
            data["rubric"] = data["judge_model"] = None
        if rule == "numeric":
            data["tolerance"] = 0.0 if data.get("tolerance") is None else data["tolerance"]
        else:
            data["tolerance"] = None
        return data

    def label(self) -> str:
        """The short name stored with each result it scored (`results.match_rule`)."""
        if self.rule == "f1":
            return f"f1>={self.threshold}"
        if self.rule == "numeric":
            return f"numeric±{self.tolerance}"
        if self.rule == "judge":
            return f"judge:{self.judge_model}"
        return self.rule


class Planning(Frozen):
    """What the lead sized the golden set with, saved with the draft so the planner shows the
    same figures after a save, a reload or to a colleague: the golden set version planned
    against, each criterion's expected rate (by criterion key, "metric@scope"), and the chance
    of passing planned for. Assumptions, not requirements: nothing is judged against them."""

    goldenset_version: str | None = None
    expected_rates: dict[str, float] = Field(default_factory=dict)
    power: float = Field(default=0.8, ge=0.5, le=0.99)

    @field_validator("expected_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for key, rate in value.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"expected rate for {key} must be between 0 and 1, got {rate}")
        return value

    def expected(self, c: Criterion) -> float | None:
        return self.expected_rates.get(planning_key(c))


def planning_key(c: Criterion) -> str:
    return f"{c.metric}@{c.scope}"


class AcceptanceBar(Frozen):
    criteria: tuple[Criterion, ...] = ()
    min_cases: StrictInt = Field(default=30, ge=1, le=MAX_MIN_CASES)
    max_critical_errors: StrictInt = Field(default=0, ge=0, le=MAX_MIN_CASES)
    when_unsure: str = ""
    match_rule: MatchRule = MatchRule()
    # Above this share of cases failing for infrastructure reasons (API errors, timeouts) the
    # run is inconclusive (exit 5), not failed. None: the default, DEFAULT_MAX_ERROR_RATE.
    max_error_rate: float | None = Field(default=None, ge=0, le=1)
    # The planner's assumptions (golden set, expected rates); None for bars saved before them.
    planning: Planning | None = None

    @field_validator("criteria")
    @classmethod
    def _one_per_metric_and_scope(cls, value: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        seen: dict[tuple[str, str], int] = {}
        for index, criterion in enumerate(value):
            if criterion.key in seen:
                raise ValueError(
                    f"criteria {seen[criterion.key]} and {index} both judge {criterion.metric} "
                    f"on scope {criterion.scope}; keep one"
                )
            seen[criterion.key] = index
        return value

    def content(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data.get("max_error_rate") is None:
            data.pop("max_error_rate", None)  # bars signed before the field keep their hash
        if data.get("planning") is None:
            data.pop("planning", None)  # likewise
        return data

    @property
    def content_hash(self) -> str:
        return content_hash(self.content())


def describe_match_rule(m: MatchRule) -> str:
    if m.rule == "f1":
        return f"token F1 of at least {m.threshold:g} with the expected answer"
    if m.rule == "numeric":
        return f"the first number equals the expected one within ±{m.tolerance:g}"
    if m.rule == "judge":
        return f"is found correct by the LLM judge {m.judge_model} under the rubric: {m.rubric}"
    return {
        "exact": "equals the expected answer after normalising case and punctuation",
        "contains": "contains the expected answer after normalising case and punctuation",
    }[m.rule]


def describe_bar(bar: AcceptanceBar) -> list[str]:
    """The bar as sentences, criteria first, for the page, the CLI and the report."""
    lines = [describe_criterion(c) for c in bar.criteria]
    lines.append(f"At least {bar.min_cases} cases in the golden set")
    errors = bar.max_critical_errors
    lines.append(
        "No critical errors"
        if errors == 0
        else f"At most {errors} critical error{'' if errors == 1 else 's'}"
    )
    lines.append(f"An answer is correct when it {describe_match_rule(bar.match_rule)}")
    if bar.when_unsure.strip():
        lines.append(f"When unsure, the system must: {bar.when_unsure.strip()}")
    return lines


@dataclass(frozen=True)
class BarDiff:
    added: list[Criterion] = field(default_factory=list)
    removed: list[Criterion] = field(default_factory=list)
    changed: list[tuple[Criterion, Criterion]] = field(default_factory=list)
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.fields)

    def lines(self) -> list[str]:
        out = [f"added: {describe_criterion(c)}" for c in self.added]
        out += [f"removed: {describe_criterion(c)}" for c in self.removed]
        out += [
            f"changed: {describe_criterion(old)} → {describe_criterion(new)}"
            for old, new in self.changed
        ]
        out += [f"{name}: {old!r} → {new!r}" for name, old, new in self.fields]
        return out or ["no differences"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": [_plain(c) for c in self.added],
            "removed": [_plain(c) for c in self.removed],
            "changed": [{"from": _plain(a), "to": _plain(b)} for a, b in self.changed],
            "fields": [{"field": n, "from": a, "to": b} for n, a, b in self.fields],
            "lines": self.lines(),
        }


def diff_bars(a: AcceptanceBar, b: AcceptanceBar) -> BarDiff:
    """What changed from `a` to `b`: criteria matched by (metric, scope), then other fields."""
    old = {c.key: c for c in a.criteria}
    new = {c.key: c for c in b.criteria}
    diff = BarDiff(
        added=[c for k, c in new.items() if k not in old],
        removed=[c for k, c in old.items() if k not in new],
        changed=[(old[k], c) for k, c in new.items() if k in old and old[k] != c],
    )
    for name in ("min_cases", "max_critical_errors", "when_unsure", "match_rule", "planning"):
        before, after = getattr(a, name), getattr(b, name)
        if before != after:
            diff.fields.append((name, _plain(before), _plain(after)))
    return diff


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, Frozen) else value


@functools.cache
def demo_bar() -> AcceptanceBar:
    """The demo's bar. Built on first use: validating its criteria looks their metrics up,
    which imports `metrics` (polars, numpy), and importing this module must not."""
    return AcceptanceBar(
        criteria=(
            Criterion(metric="accuracy", threshold=0.90, judged_on="lower_bound"),
            Criterion(metric="citation_coverage", threshold=0.95, judged_on="point"),
            Criterion(metric="abstain_rate_unanswerable", threshold=0.80, judged_on="point"),
            Criterion(metric="false_abstain_rate", threshold=0.10, judged_on="point"),
        ),
        min_cases=60,
        max_critical_errors=0,
        when_unsure=(
            "Abstain: say the policy documents do not answer the question and route it to HR "
            "(people@northwind.example)"
        ),
        match_rule=MatchRule(rule="contains"),
    )
