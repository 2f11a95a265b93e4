"""Metrics registered by name, so a run stores names and any figure can be recomputed.

A registered metric maps lazy input frames to per-case counts: a plan whose rows align one for
one with `results` (`case_id`, `k` successes, `n` units; n = 0 where the metric does not apply).
Counting per case, rather than returning one number, lets the same function feed the overall
estimate, the per-tag slices and paired run comparisons. `gather_inputs` checks citations once
for all the citation metrics; the rest is planned lazily and run on polars' streaming engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

import polars as pl

from metrics._frames import ENGINE, as_lazy
from metrics.estimate import Estimate

Input = Literal["results", "checked_citations", "claims", "sources", "evidence"]
CountsFn = Callable[..., pl.LazyFrame]
F = TypeVar("F", bound=CountsFn)

METRICS: tuple[str, ...] = (
    "accuracy",
    "citation_precision",
    "citation_coverage",
    "evidence_recall",
    "abstain_rate_unanswerable",
    "false_abstain_rate",
)
"""The metrics every run reports, in the order reports list them."""


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: `counts(**inputs)` for the inputs named in `needs`."""

    name: str
    counts: CountsFn
    needs: tuple[Input, ...]
    per_case: bool
    """True when each case is one unit (n is 0 or 1), so two runs can be paired case by case."""


_REGISTRY: dict[str, MetricSpec] = {}


def metric(
    name: str, *, needs: tuple[Input, ...] = ("results",), per_case: bool = True
) -> Callable[[F], F]:
    """Register a counts function under `name`: `metric("accuracy")(accuracy_counts)`.

    The metric modules call it after the definition rather than as a decorator because
    mutmut leaves decorated functions unmutated, and the counts functions are where each
    metric is defined (`make mutate`, docs/testing.md)."""

    def register(fn: F) -> F:
        known = _REGISTRY.get(name)
        if known is not None and known.counts.__qualname__ != fn.__qualname__:
            raise ValueError(f"metric {name!r} is already registered by {known.counts.__module__}")
        _REGISTRY[name] = MetricSpec(name, fn, needs, per_case)
        return fn

    return register


def get_metric(name: str) -> MetricSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"no metric named {name!r}; known metrics: {known}") from None


def registered() -> dict[str, MetricSpec]:
    """A copy of the registry, name → spec."""
    return dict(_REGISTRY)


def gather_inputs(
    results: pl.DataFrame | pl.LazyFrame,
    citations: pl.DataFrame | pl.LazyFrame | None = None,
    claims: pl.DataFrame | pl.LazyFrame | None = None,
    sources: pl.DataFrame | pl.LazyFrame | None = None,
    evidence: pl.DataFrame | pl.LazyFrame | None = None,
) -> dict[str, pl.LazyFrame]:
    """The inputs that are available, as lazy plans. Sources are keyed and citations checked
    here, once, and shared by every citation metric."""
    from metrics.citations import check_citations, keyed_sources

    inputs = {"results": as_lazy(results, "results")}
    if sources is not None:
        inputs["sources"] = keyed_sources(sources).lazy()
        if citations is not None:
            inputs["checked_citations"] = check_citations(citations, inputs["sources"]).lazy()
    for name, frame in (("claims", claims), ("evidence", evidence)):
        if frame is not None:
            inputs[name] = as_lazy(frame, name)
    return inputs


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
    names: tuple[str, ...] = METRICS,
) -> dict[str, pl.DataFrame | None]:
    """Per-case counts for each metric (None where inputs are missing); pass them to both
    `summarise` and `per_tag` rather than computing twice."""
    inputs = gather_inputs(results, citations, claims, sources, evidence)
    n_results = inputs["results"].select(pl.len()).collect().item()
    # One collect per metric: on two cores, collecting the plans together only contends.
    counts: dict[str, pl.DataFrame | None] = {}
    for name in names:
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
    return {
        name: Estimate.missing(name) if frame is None else Estimate.from_frame(name, frame)
        for name, frame in counts.items()
    }


def compute_all(
    results: pl.DataFrame | pl.LazyFrame,
    citations: pl.DataFrame | pl.LazyFrame | None = None,
    claims: pl.DataFrame | pl.LazyFrame | None = None,
    sources: pl.DataFrame | pl.LazyFrame | None = None,
    evidence: pl.DataFrame | pl.LazyFrame | None = None,
    names: tuple[str, ...] = METRICS,
) -> dict[str, Estimate]:
    """Every metric a run reports; citation metrics are n=0 when their frames are missing."""
    return summarise(count_all(results, citations, claims, sources, evidence, names))
