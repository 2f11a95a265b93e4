"""Pilot Kit metrics: small pure functions over polars frames, registered by name.

Importing the package registers every metric, so `compute_all` and `per_tag` see them all. No
module here imports `pilot` or reaches the network: the LLM judge's client lives in
`pilot.runs.judge_client`; only the strict parsing of its reply is here (`metrics.judge`).
"""

from metrics.abstention import (
    abstain_rate_unanswerable,
    abstain_rate_unanswerable_counts,
    false_abstain_rate,
    false_abstain_rate_counts,
)
from metrics.accuracy import accuracy, accuracy_counts
from metrics.agreement import cohen_kappa, krippendorff_alpha
from metrics.citations import (
    citation_coverage,
    citation_coverage_counts,
    citation_precision,
    citation_precision_counts,
    evidence_recall,
    evidence_recall_counts,
    evidence_spans,
    validate_citations,
)
from metrics.cost import cost_per_case_counts
from metrics.estimate import Estimate
from metrics.infra_errors import infra_error_rate_counts
from metrics.intervals import Z95, wilson, wilson_exprs
from metrics.latency import latency_p50_counts, latency_p95_counts
from metrics.matching import MATCH_RULES, apply_match, match, normalise, token_f1
from metrics.planner import Rule, SizePlan, cases_needed, chance_of_passing, more_needed, size_plan
from metrics.registry import (
    SECTIONS,
    MetricSpec,
    compute_all,
    count_all,
    counts_plan,
    gather_inputs,
    get_metric,
    metric,
    metric_names,
    registered,
    summarise,
)
from metrics.regression import (
    Delta,
    RunComparison,
    compare_runs,
    mcnemar_exact,
    paired_difference_ci,
)
from metrics.slices import per_tag

__all__ = [
    "MATCH_RULES",
    "SECTIONS",
    "Z95",
    "Delta",
    "Rule",
    "SizePlan",
    "Estimate",
    "MetricSpec",
    "RunComparison",
    "abstain_rate_unanswerable",
    "abstain_rate_unanswerable_counts",
    "accuracy",
    "accuracy_counts",
    "apply_match",
    "citation_coverage",
    "citation_coverage_counts",
    "citation_precision",
    "citation_precision_counts",
    "cases_needed",
    "chance_of_passing",
    "cohen_kappa",
    "cost_per_case_counts",
    "compare_runs",
    "compute_all",
    "counts_plan",
    "count_all",
    "evidence_recall",
    "evidence_recall_counts",
    "evidence_spans",
    "false_abstain_rate",
    "false_abstain_rate_counts",
    "infra_error_rate_counts",
    "gather_inputs",
    "get_metric",
    "krippendorff_alpha",
    "latency_p50_counts",
    "latency_p95_counts",
    "match",
    "mcnemar_exact",
    "metric",
    "more_needed",
    "metric_names",
    "normalise",
    "paired_difference_ci",
    "per_tag",
    "registered",
    "size_plan",
    "summarise",
    "token_f1",
    "validate_citations",
    "wilson",
    "wilson_exprs",
]
