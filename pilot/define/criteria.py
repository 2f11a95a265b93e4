"""A criterion of the acceptance bar, and the one rule that judges a figure against it.

`Criterion.passes` is the only place a threshold is judged: the run's verdict, the Results
page's charts and (later) the readiness gates all call it, through `judge_criterion` when they
hold an `Estimate`. The rule, in full:

- An at-least criterion (a metric where higher is better) passes when the judged figure is
  **greater than or equal to** the threshold; an at-most criterion (lower is better) passes when
  it is **less than or equal to** it. A figure exactly on the threshold passes either way.
- `judged_on="point"` judges the point estimate. `judged_on="lower_bound"` judges the
  conservative end of the 95% interval: the lower bound of an at-least metric, the **upper**
  bound of an at-most one (the stored name is kept for the content hashes of signed bars).
- No figure (n = 0, an unknown value, or a bound that does not exist at this n) fails: no
  evidence is not a pass.

What a metric is (its label, direction, unit, whether it has an interval) comes from its
registration in `metrics`, never from a list here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import StrictFloat, ValidationInfo, field_validator

from pilot.core.models import Frozen

if TYPE_CHECKING:  # `metrics` (polars, numpy) is imported when a metric is first looked up
    from metrics.estimate import Estimate
    from metrics.registry import MetricSpec

JudgedOn = Literal["point", "lower_bound"]
Comparison = Literal["at_least", "at_most"]


STORED = {"stored": True}
"""Validation context of a bar read back from the database (`bar_versions`): it was checked
against the metric registry when it was saved, and `problems()` checks it against its hashes,
so reading it does not import `metrics` (polars, numpy) again; a run's first use of a
criterion's metric looks it up (and fails there for one no longer registered)."""


def stored(info: ValidationInfo) -> bool:
    """Whether the criterion is being read back from the database (see `STORED`)."""
    return bool(info.context and info.context.get("stored"))


def metric_spec(metric: str) -> MetricSpec:
    """The registration of a metric a bar may name; ValueError naming the known ones."""
    from metrics.registry import get_metric, registered

    try:
        return get_metric(metric)
    except KeyError:
        known = ", ".join(registered())
        raise ValueError(f"unknown metric {metric!r}; use one of: {known}") from None


def metric_choices() -> dict[str, str]:
    """Every metric a bar may name, in report order, with its label (the bar editor's list)."""
    from metrics.registry import registered

    return {name: spec.label for name, spec in registered().items()}


def judged_on_choices(metric: str) -> tuple[JudgedOn, ...]:
    """What a criterion on `metric` may be judged on: its 95% bound only if it has one."""
    return ("lower_bound", "point") if metric_spec(metric).has_interval else ("point",)


def basis(judged_on: str, comparison: str) -> str:
    """What the threshold is compared with, in words: "the 95% upper bound", ..."""
    if judged_on == "point":
        return "the point estimate"
    return "the 95% lower bound" if comparison == "at_least" else "the 95% upper bound"


class Criterion(Frozen):
    """One line of the bar: `metric` must be at least (or at most) `threshold` on `scope`."""

    metric: str
    threshold: StrictFloat  # not True, not "0.9": the unit check sees what was written
    scope: str = "all"
    judged_on: JudgedOn = "lower_bound"

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str, info: ValidationInfo) -> str:
        if not stored(info):
            metric_spec(value)
        return value

    @field_validator("threshold")
    @classmethod
    def _in_the_metric_unit(cls, value: float, info: ValidationInfo) -> float:
        """A rate is a proportion in [0, 1]; a latency any number of ms ≥ 0; and so on."""
        metric = info.data.get("metric")
        if metric is None or stored(info):  # the metric itself was refused, and says so
            return value
        return metric_spec(metric).units.check(value)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        value = value.strip()
        if value == "all" or (value.startswith("tag:") and value[4:].strip()):
            return "all" if value == "all" else "tag:" + value[4:].strip()
        raise ValueError(f"{value!r}: use 'all' or 'tag:<name>', e.g. 'tag:numeric'")

    @field_validator("judged_on")
    @classmethod
    def _bound_exists(cls, value: JudgedOn, info: ValidationInfo) -> JudgedOn:
        metric = info.data.get("metric")
        if metric is not None and not stored(info) and value not in judged_on_choices(metric):
            raise ValueError(
                f"{metric_spec(metric).label} has no 95% interval: judge it on the point estimate"
            )
        return value

    @property
    def spec(self) -> MetricSpec:
        return metric_spec(self.metric)

    @property
    def comparison(self) -> Comparison:
        return "at_least" if self.spec.direction == "higher" else "at_most"

    @property
    def tag(self) -> str | None:
        return self.scope[4:] if self.scope.startswith("tag:") else None

    @property
    def key(self) -> tuple[str, str]:
        return (self.metric, self.scope)

    def judged_value(
        self, value: float | None, low: float | None = None, high: float | None = None
    ) -> float | None:
        """The figure compared with the threshold: the point, or the conservative bound."""
        if value is None or self.judged_on == "point":
            return value
        return low if self.comparison == "at_least" else high

    def passes(
        self, value: float | None, low: float | None = None, high: float | None = None
    ) -> bool:
        """THE rule (see the module docstring): `>=` for at-least, `<=` for at-most, on the
        point or the conservative bound; no figure fails."""
        judged = self.judged_value(value, low, high)
        if judged is None:
            return False
        return (
            judged >= self.threshold if self.comparison == "at_least" else judged <= self.threshold
        )


@dataclass(frozen=True)
class CriterionResult:
    """One criterion judged on one estimate: what `pilot run --json` lists in `verdict`."""

    metric: str
    scope: str
    judged_on: str
    threshold: float
    direction: Comparison
    value: float | None
    low: float | None
    high: float | None
    n: int
    judged_value: float | None
    passed: bool


def judge_criterion(criterion: Criterion, estimate: Estimate) -> CriterionResult:
    """Judge `estimate` against `criterion` by the one rule (`Criterion.passes`). Public so
    every place that judges a figure (verdicts, charts, readiness gates) uses this rule."""
    e = estimate
    return CriterionResult(
        metric=criterion.metric,
        scope=criterion.scope,
        judged_on=criterion.judged_on,
        threshold=criterion.threshold,
        direction=criterion.comparison,
        value=e.value,
        low=e.low,
        high=e.high,
        n=e.n,
        judged_value=criterion.judged_value(e.value, e.low, e.high),
        passed=criterion.passes(e.value, e.low, e.high),
    )


def threshold_words(metric: str, comparison: str, threshold: float) -> str:
    """E.g. "at least 90%", "at most 2,500 ms": a threshold in its metric's unit."""
    bound = "at least" if comparison == "at_least" else "at most"
    return f"{bound} {metric_spec(metric).units.text(threshold)}"


def threshold_text(c: Criterion) -> str:
    return threshold_words(c.metric, c.comparison, c.threshold)


def criterion_name(metric: str, scope: str = "all") -> str:
    """E.g. "Accuracy on all cases", "False-abstain rate on cases tagged 'pay'": a criterion
    named in words; a metric no longer registered keeps its key."""
    from metrics.registry import get_metric

    tag = scope[4:] if scope.startswith("tag:") else None
    cases = f"cases tagged {tag!r}" if tag else "all cases"
    try:
        spec = get_metric(metric)
    except KeyError:
        return f"{metric} on {cases}"
    if spec.population == "unanswerable":
        cases = f"unanswerable {cases}" if tag else "unanswerable cases"
    return f"{spec.label} on {cases}"


def describe_criterion(c: Criterion) -> str:
    """E.g. "Accuracy on all cases must be at least 90%, judged on the 95% lower bound"."""
    return (
        f"{criterion_name(c.metric, c.scope)} must be {threshold_text(c)}, "
        f"judged on {basis(c.judged_on, c.comparison)}"
    )


def describe_threshold(c: Criterion, bar: str) -> str:
    """A criterion as a chart's threshold line says it: "bar v3 (signed): at least 90%, ..."."""
    return f"{bar}: {threshold_text(c)}, judged on {basis(c.judged_on, c.comparison)}"


@dataclass(frozen=True)
class ThresholdInput:
    """How the bar editor asks for a threshold on one metric (all from its unit)."""

    label: str
    min_value: float
    max_value: float | None
    step: float
    format: str
    scale: float = 1.0  # shown = stored × scale: a rate is typed as a percentage

    def shown(self, value: float) -> float:
        return round(value * self.scale, 6)

    def stored(self, shown: float) -> float:
        return round(float(shown) / self.scale, 10)


def threshold_input(metric: str) -> ThresholdInput:
    unit = metric_spec(metric).units
    if unit.name == "percent":
        return ThresholdInput("Threshold (%)", 0.0, 100.0, 0.5, "%.1f", 100.0)
    if unit.name == "ms":
        return ThresholdInput("Threshold (ms)", 0.0, None, 50.0, "%.0f")
    return ThresholdInput("Threshold (USD)", 0.0, None, 0.001, "%.4f")
