"""Verdicts: a run's figures against a bar, criterion by criterion, hand-worked; critical
errors; every threshold's edge (a figure exactly on it meets it)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from metric_frames import (
    CITATIONS_SCHEMA,
    CLAIMS_SCHEMA,
    EVIDENCE_SCHEMA,
    RESULTS_SCHEMA,
    SOURCES_SCHEMA,
)

from metrics import wilson
from pilot.results import RunFrames
from pilot.verdicts import critical_errors, judge


def frames(rows: list[dict[str, Any]]) -> RunFrames:
    """A run's frames with the runner's schemas: these rows, no citations, claims or sources."""
    schemas = (CITATIONS_SCHEMA, CLAIMS_SCHEMA, SOURCES_SCHEMA, EVIDENCE_SCHEMA)
    return RunFrames(
        pl.DataFrame(rows, schema=RESULTS_SCHEMA), *(pl.DataFrame(schema=s) for s in schemas)
    )


def row(
    i: int,
    correct: bool,
    *,
    answerable: bool = True,
    abstained: bool = False,
    tags: tuple[str, ...] = (),
    consequential: bool = False,
) -> dict[str, Any]:
    return {
        "case_id": f"c{i}",
        "answer": "x",
        "abstained": abstained,
        "correct": correct,
        "error": None,
        "answerable": answerable,
        "expected_answer": "x" if answerable else None,
        "tags": list(tags),
        "consequential": consequential,
    }


def test_verdict_lower_bound_point_and_tag_scope() -> None:
    # 18 of 20 correct: point 0.90; Wilson 95% lower bound = 0.699 (hand-worked:
    # (p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with p=.9, n=20, z=1.96).
    rows = [row(i, i >= 2, tags=("numeric",) if i < 10 else ()) for i in range(20)]
    bar = {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.85, "scope": "all", "judged_on": "point"},
            {"metric": "accuracy", "threshold": 0.85, "scope": "all", "judged_on": "lower_bound"},
            {"metric": "accuracy", "threshold": 0.85, "scope": "tag:numeric", "judged_on": "point"},
        ],
        "min_cases": 10,
        "max_critical_errors": 0,
    }
    v = judge(frames(rows), bar, 3, signed=True)
    point, lower, tagged = v.criteria
    assert point.value == pytest.approx(0.9) and point.passed
    assert lower.low == pytest.approx(0.6990, abs=1e-4) and not lower.passed
    assert tagged.n == 10 and tagged.value == pytest.approx(0.8) and not tagged.passed
    assert not v.passed and not v.exploratory and v.min_cases_met


def test_at_most_metric_judged_on_upper_bound() -> None:
    # 1 false abstention among 40 answerable: 0.025, Wilson upper bound 0.1288.
    rows = [row(i, i != 0, abstained=i == 0) for i in range(40)]
    bar = {
        "criteria": [
            {"metric": "false_abstain_rate", "threshold": 0.10, "judged_on": "lower_bound"}
        ],
        "min_cases": 1,
    }
    c = judge(frames(rows), bar, 1, signed=True).criteria[0]
    assert c.direction == "at_most" and c.judged_value == pytest.approx(0.1288, abs=1e-4)
    assert not c.passed


def test_no_data_fails_and_unsigned_is_exploratory() -> None:
    rows = [row(i, True) for i in range(5)]
    bar = {
        "criteria": [
            {"metric": "abstain_rate_unanswerable", "threshold": 0.5, "judged_on": "point"}
        ],
        "min_cases": 1,
    }
    v = judge(frames(rows), bar, 1, signed=False)
    assert v.criteria[0].n == 0 and not v.criteria[0].passed and v.exploratory


def test_critical_errors_are_wrong_answers_on_consequential_cases() -> None:
    rows = [
        row(0, False, consequential=True),
        row(1, False, consequential=True, abstained=True),
        row(2, True, consequential=True),
        row(3, False),
    ]
    assert critical_errors(frames(rows).results) == ["c0"]


def test_an_errored_consequential_case_goes_to_a_person_not_the_critical_count() -> None:
    failed = {**row(0, False, consequential=True), "error": "gave up after 6 attempts: 529"}
    rows = [failed, row(1, False, consequential=True)]
    assert critical_errors(frames(rows).results) == ["c1"]


def edge_rows() -> list[dict[str, Any]]:
    """20 answerable cases: c0 abstains, c1 (consequential) is wrong, the other 18 are right.
    Accuracy 18/20 = 0.90 exactly, false abstentions 1/20 = 0.05 exactly."""
    return [row(i, i >= 2, abstained=i == 0, consequential=i == 1) for i in range(20)]


def edge_bar(nudge: float = 0.0) -> dict[str, Any]:
    """Every threshold exactly on the figure it is compared with (`nudge` moves each one
    against the system): point, Wilson lower bound, and for the lower-is-better rate the
    point and the Wilson upper bound; min_cases and max_critical_errors on the counts."""
    low, _ = wilson(18, 20)
    _, high = wilson(1, 20)
    return {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.9 + nudge, "judged_on": "point"},
            {"metric": "accuracy", "threshold": low + nudge, "judged_on": "lower_bound"},
            {"metric": "false_abstain_rate", "threshold": 0.05 - nudge, "judged_on": "point"},
            {"metric": "false_abstain_rate", "threshold": high - nudge, "judged_on": "lower_bound"},
        ],
        "min_cases": 20,
        "max_critical_errors": 1,
    }


def test_a_figure_exactly_on_the_threshold_meets_it() -> None:
    """ "At least 90%" is met by 90% and "at most 5%" by 5%, on the point and on the bound."""
    v = judge(frames(edge_rows()), edge_bar(), 2, signed=True)
    low, _ = wilson(18, 20)
    _, high = wilson(1, 20)
    assert [c.judged_value for c in v.criteria] == [0.9, low, 0.05, high]
    assert [c.direction for c in v.criteria] == ["at_least"] * 2 + ["at_most"] * 2
    assert [c.passed for c in v.criteria] == [True] * 4
    assert v.n_cases == v.min_cases == 20 and v.min_cases_met
    assert v.critical_errors == ["c1"] and v.max_critical_errors == 1
    assert v.passed and not v.exploratory


def test_a_figure_just_short_of_the_threshold_misses_it() -> None:
    v = judge(frames(edge_rows()), edge_bar(nudge=1e-9), 2, signed=True)
    assert [c.passed for c in v.criteria] == [False] * 4 and not v.passed


@pytest.mark.parametrize(
    ("change", "min_cases_met"),
    [({"min_cases": 21}, False), ({"max_critical_errors": 0}, True)],
)
def test_one_case_short_or_one_critical_error_too_many_fails(
    change: dict[str, int], min_cases_met: bool
) -> None:
    v = judge(frames(edge_rows()), {**edge_bar(), **change}, 2, signed=True)
    assert all(c.passed for c in v.criteria)
    assert v.min_cases_met is min_cases_met and not v.passed


def test_a_whole_verdict_reads_every_figure_from_the_runs_frames() -> None:
    """The five-case run of metric_frames (worked by hand in test_citations.py): accuracy 2/5,
    citation precision 4/8, citation coverage among 'policy' cases 1/2, evidence recall 1/4.
    A criterion without `judged_on` is judged on the point; without `scope`, on all cases."""
    from metric_frames import shared_run

    from pilot.verdicts import CriterionResult, Verdict

    run = RunFrames(**shared_run())
    bar = {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.4},
            {"metric": "citation_precision", "threshold": 0.5, "judged_on": "lower_bound"},
            {"metric": "citation_coverage", "threshold": 0.3, "scope": "tag:policy"},
            {"metric": "evidence_recall", "threshold": 0.25, "judged_on": "point"},
        ],
        "min_cases": 5,
    }

    def result(
        metric: str,
        scope: str,
        judged_on: str,
        threshold: float,
        k: int,
        n: int,
        judged: str,
        passed: bool,
    ) -> CriterionResult:
        low, high = wilson(k, n)
        judged_value = {"point": k / n, "low": low}[judged]
        return CriterionResult(
            metric,
            scope,
            judged_on,
            threshold,
            "at_least",
            k / n,
            low,
            high,
            n,
            judged_value,
            passed,
        )

    expected = Verdict(
        exploratory=False,
        bar_version=7,
        criteria=[
            result("accuracy", "all", "point", 0.4, 2, 5, "point", True),
            result("citation_precision", "all", "lower_bound", 0.5, 4, 8, "low", False),
            result("citation_coverage", "tag:policy", "point", 0.3, 1, 2, "point", True),
            result("evidence_recall", "all", "point", 0.25, 1, 4, "point", True),
        ],
        min_cases=5,
        n_cases=5,
        min_cases_met=True,
        max_critical_errors=None,
        critical_errors=[],
        passed=False,
    )
    assert judge(run, bar, 7, signed=True) == expected


def test_without_a_bar_a_run_is_exploratory_and_never_passes() -> None:
    from pilot.verdicts import Verdict

    rows = [row(0, False, consequential=True), row(1, True), row(2, True)]
    assert judge(frames(rows), None, None, signed=False) == Verdict(
        exploratory=True,
        bar_version=None,
        criteria=[],
        min_cases=0,
        n_cases=3,
        min_cases_met=True,
        max_critical_errors=None,
        critical_errors=["c0"],
        passed=False,
    )
    assert judge(frames(rows), None, None, signed=False).to_dict() == {
        "exploratory": True,
        "bar_version": None,
        "criteria": [],
        "min_cases": 0,
        "n_cases": 3,
        "min_cases_met": True,
        "max_critical_errors": None,
        "critical_errors": ["c0"],
        "passed": False,
    }


def test_a_bar_with_no_criteria_is_judged_on_its_counts() -> None:
    rows = [row(i, True) for i in range(3)]
    v = judge(frames(rows), {"min_cases": 3}, 4, signed=True)
    assert v.criteria == [] and v.min_cases_met and v.passed
    assert not judge(frames(rows), {"min_cases": 4}, 4, signed=True).passed


@pytest.mark.parametrize("unset", [{}, {"min_cases": None}, {"min_cases": 0}])
def test_a_bar_without_min_cases_asks_for_none(unset: dict[str, Any]) -> None:
    v = judge(frames([row(0, True)]), {"criteria": [], **unset}, 1, signed=True)
    assert v.min_cases == 0 and v.min_cases_met and v.passed
    assert judge(frames([]), {"criteria": [], **unset}, 1, signed=True).min_cases_met


def test_unrecorded_abstention_or_grade_still_counts_a_critical_error() -> None:
    """A consequential case whose abstention was not recorded (null) did not abstain, and one
    not graded (null `correct`) was not answered right: both go to the critical count."""
    not_recorded = {**row(0, False, consequential=True), "abstained": None}
    not_graded = {**row(1, False, consequential=True), "correct": None}
    graded_right = row(2, True, consequential=True)
    assert critical_errors(frames([not_recorded, not_graded, graded_right]).results) == [
        "c0",
        "c1",
    ]
