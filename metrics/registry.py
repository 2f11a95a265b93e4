"""Metrics registered by name, so a run stores names and any figure can be recomputed.

A registration is the one place a metric is described: its counts function, its label, which
way is better, which golden-set cases it is measured on, its unit, how its counts are summed
(a proportion with a Wilson interval, a percentile, a mean) and the section of a report it
belongs to. The bar editor, the verdict, charts, per-tag slices, `pilot run --json` and the
Results page all read it from here, so a new metric is one file.

A registered metric maps lazy input frames to per-case counts: a plan whose rows align one for
one with `results` (`case_id`, then `k` successes of `n` units for a proportion, or one value
`x` with `n` = 1 where the case counts; n = 0 where the metric does not apply). Counting per
case, rather than returning one number, lets the same function feed the overall estimate, the
per-tag slices and paired run comparisons. `gather_inputs` checks citations once for all the
citation metrics; the rest is planned lazily and run on polars' streaming engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Literal, TypeVar

import polars as pl

from metrics._frames import CALLS, ENGINE, as_lazy, conform
from metrics.estimate import Estimate
from metrics.quoting import check_citations, keyed_sources
from metrics.summaries import PROPORTION, Summary
from metrics.units import UNITS, Unit, UnitName

Input = Literal["results", "checked_citations", "claims", "sources", "evidence", "calls"]
Direction = Literal["higher", "lower"]
Population = Literal["all", "answerable", "unanswerable"]
CountsFn = Callable[..., pl.LazyFrame]
F = TypeVar("F", bound=CountsFn)

SECTIONS: dict[str, str] = {
    "answers": "Are the answers right?",
    "citations": "Are the answers grounded in the documents?",
    "abstention": "Does it decline when it should, and only then?",
    "service": "What does it do to service levels?",
    "other": "Other measures",
}
"""Report sections in the order reports list them; a metric names the one it belongs to."""


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: `counts(**inputs)` for the inputs named in `needs`."""

    name: str
    counts: CountsFn
    needs: tuple[Input, ...]
    per_case: bool
    """True when each case is one unit (n is 0 or 1), so two runs can be paired case by case."""
    label: str
    direction: Direction
    population: Population
    """The golden-set cases the metric is measured on, as the bar's planner counts them."""
    unit: UnitName
    meaning: str
    section: str
    summary: Summary
    order: int

    @property
    def units(self) -> Unit:
        return UNITS[self.unit]

    @property
    def proportion(self) -> bool:
        return self.summary.kind == "proportion"

    @property
    def has_interval(self) -> bool:
        return self.summary.interval is not None

    def estimate(self, counts: pl.DataFrame | None) -> Estimate:
        """The metric's estimate from its per-case counts (None → the missing estimate)."""
        return (
            Estimate.missing(self.name)
            if counts is None
            else self.summary.estimate(self.name, counts)
        )


_REGISTRY: dict[str, MetricSpec] = {}
_ORDER = count()


def metric(
    name: str,
    *,
    label: str,
    direction: Direction,
    meaning: str,
    population: Population = "all",
    unit: UnitName = "percent",
    section: str = "other",
    summary: Summary = PROPORTION,
    needs: tuple[Input, ...] = ("results",),
    per_case: bool = True,
) -> Callable[[F], F]:
    """Register a counts function under `name`, with everything a report says about it."""
    if section not in SECTIONS:
        raise ValueError(
            f"metric {name!r}: section {section!r} is not one of {', '.join(SECTIONS)}"
        )
    if unit not in UNITS:
        raise ValueError(f"metric {name!r}: unit {unit!r} is not one of {', '.join(UNITS)}")

    def register(fn: F) -> F:
        known = _REGISTRY.get(name)
        if known is not None and known.counts.__qualname__ != fn.__qualname__:
            raise ValueError(f"metric {name!r} is already registered by {known.counts.__module__}")
        order = known.order if known is not None else next(_ORDER)
        _REGISTRY[name] = MetricSpec(
            name,
            fn,
            needs,
            per_case,
            label,
            direction,
            population,
            unit,
            meaning,
            section,
            summary,
            order,
        )
        return fn

    return register


def unregister(name: str) -> None:
    """Forget a metric (for tests that register one of their own)."""
    _REGISTRY.pop(name, None)


def get_metric(name: str) -> MetricSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"no metric named {name!r}; known metrics: {known}") from None


def registered() -> dict[str, MetricSpec]:
    """A copy of the registry, name → spec, in report order (section, then registration)."""
    sections = list(SECTIONS)
    ordered = sorted(_REGISTRY.values(), key=lambda s: (sections.index(s.section), s.order))
    return {spec.name: spec for spec in ordered}


def metric_names() -> tuple[str, ...]:
    """Every registered metric, in the order reports list them: every registered metric is
    reported, so none can be registered and silently left out."""
    return tuple(registered())


def gather_inputs(
    results: pl.DataFrame | pl.LazyFrame,
    citations: pl.DataFrame | pl.LazyFrame | None = None,
    claims: pl.DataFrame | pl.LazyFrame | None = None,
    sources: pl.DataFrame | pl.LazyFrame | None = None,
    evidence: pl.DataFrame | pl.LazyFrame | None = None,
    calls: pl.DataFrame | pl.LazyFrame | None = None,
) -> dict[str, pl.LazyFrame]:
    """The inputs that are available, as lazy plans. Sources are keyed and citations checked
    here, once, and shared by every citation metric; calls are aligned with results here, once
    (a case without a call record gets nulls)."""
    inputs = {"results": as_lazy(results, "results")}
    if sources is not None:
        inputs["sources"] = keyed_sources(sources).lazy()
        if citations is not None:
            inputs["checked_citations"] = check_citations(citations, inputs["sources"]).lazy()
    for name, frame in (("claims", claims), ("evidence", evidence)):
        if frame is not None:
            inputs[name] = as_lazy(frame, name)
    if calls is not None:
        inputs["calls"] = _aligned_calls(
            inputs["results"], conform(calls, CALLS, list(CALLS), "calls")
        )
    return inputs


def _aligned_calls(results: pl.LazyFrame, calls: pl.LazyFrame) -> pl.LazyFrame:
    """`calls` in `results`' row order, one row per results row. A run's frames are built from
    the same rows, so they usually align already and the join is skipped."""
    ids = results.select(pl.col("case_id").cast(pl.String)).collect().to_series()
    given = calls.select("case_id").collect().to_series()
    if ids.equals(given):
        return calls
    return ids.to_frame().lazy().join(calls, on="case_id", how="left", maintain_order="left")


def counts_plan(name: str, inputs: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame | None:
    """The counts plan of one metric, or None when an input it needs is missing."""
    spec = get_metric(name)
    if any(need not in inputs for need in spec.needs):
        return None
    return spec.counts(**{need: inputs[need] for need in spec.needs})


def count_all(
    results: pl.DataFrame | pl.LazyFrame,
    citations: pl.DataFrame | pl.LazyFrame | None = None,
    claims: pl.DataFrame | pl.LazyFrame | None = None,
    sources: pl.DataFrame | pl.LazyFrame | None = None,
    evidence: pl.DataFrame | pl.LazyFrame | None = None,
    calls: pl.DataFrame | pl.LazyFrame | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, pl.DataFrame | None]:
    """Per-case counts for each metric (every registered one unless `names` is given; None
    where inputs are missing); pass them to both `summarise` and `per_tag` rather than
    computing twice."""
    inputs = gather_inputs(results, citations, claims, sources, evidence, calls)
    n_results = inputs["results"].select(pl.len()).collect().item()
    # One collect per metric: on two cores, collecting the plans together only contends.
    counts: dict[str, pl.DataFrame | None] = {}
    for name in metric_names() if names is None else names:
        planned = counts_plan(name, inputs)
        counts[name] = None if planned is None else planned.collect(engine=ENGINE)
        if (frame := counts[name]) is not None and frame.height != n_results:
            raise ValueError(
                f"metric {name!r} gave {frame.height} rows for {n_results} results rows; "
                "a metric's counts must align with results, one row per results row"
            )
    return counts


def summarise(counts: Mapping[str, pl.DataFrame | None]) -> dict[str, Estimate]:
    """One estimate per metric from per-case counts (None counts → the missing estimate)."""
    return {name: get_metric(name).estimate(frame) for name, frame in counts.items()}


def compute_all(
    results: pl.DataFrame | pl.LazyFrame,
    citations: pl.DataFrame | pl.LazyFrame | None = None,
    claims: pl.DataFrame | pl.LazyFrame | None = None,
    sources: pl.DataFrame | pl.LazyFrame | None = None,
    evidence: pl.DataFrame | pl.LazyFrame | None = None,
    calls: pl.DataFrame | pl.LazyFrame | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, Estimate]:
    """Every metric a run reports; a metric is n=0 when a frame it needs is missing."""
    return summarise(count_all(results, citations, claims, sources, evidence, calls, names))
