"""Verdicts: a run's figures against a bar, criterion by criterion, hand-worked; critical
errors; the verdict's own edges (a case count or a critical-error count exactly at the bar's
limit meets it; the criterion rule's edges are in test_criteria.py)."""

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
    shared_run,
)

from metrics import wilson
from metrics.estimate import Estimate
from metrics.frames import RunFrames
from pilot.define.bar_versions import BarVersion
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import CriterionResult
from pilot.define.verdicts import Verdict, critical_errors, judge


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


def version(bar: dict, number: int, signed: bool) -> BarVersion:
    """A bar version as `bar_for_run` returns it."""
    typed = AcceptanceBar.model_validate(bar)
    return BarVersion(
        number, typed.content_hash, typed, "2026-01-01", "priya", "priya" if signed else None
    )


def test_verdict_lower_bound_point_and_tag_scope() -> None:
    # 18 of 20 correct: point 0.90; Wilson 95% lower bound = 0.699 (hand-worked:
    # (p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with p=.9, n=20, z=1.96).
    rows = [row(i, i >= 2, tags=("numeric",) if i < 10 else ()) for i in range(20)]
    point_bar = {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.85, "scope": "all", "judged_on": "point"},
            {"metric": "accuracy", "threshold": 0.85, "scope": "tag:numeric", "judged_on": "point"},
        ],
        "min_cases": 10,
        "max_critical_errors": 0,
    }
    bound_bar = {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.85, "scope": "all", "judged_on": "lower_bound"}
        ],
        "min_cases": 10,
    }
    v = judge(frames(rows), version(point_bar, 3, signed=True))
    point, tagged = v.criteria
    (lower,) = judge(frames(rows), version(bound_bar, 4, signed=True)).criteria
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
    c = judge(frames(rows), version(bar, 1, signed=True)).criteria[0]
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
    v = judge(frames(rows), version(bar, 1, signed=False))
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


def test_unrecorded_abstention_or_grade_still_counts_a_critical_error() -> None:
    """A consequential case whose abstention was not recorded (null) did not abstain, and one
    not graded (null `correct`) was not answered right: both go to the critical count."""
    not_recorded = {**row(0, False, consequential=True), "abstained": None}
    not_graded = {**row(1, False, consequential=True), "correct": None}
    graded_right = row(2, True, consequential=True)
    rows = [not_recorded, not_graded, graded_right]
    assert critical_errors(frames(rows).results) == ["c0", "c1"]


def edge_rows() -> list[dict[str, Any]]:
    """20 answerable cases: c0 abstains, c1 (consequential) is wrong, the other 18 are right.
    Accuracy 18/20 = 0.90 exactly, false abstentions 1/20 = 0.05 exactly."""
    return [row(i, i >= 2, abstained=i == 0, consequential=i == 1) for i in range(20)]


def edge_bar(judged_on: str, nudge: float = 0.0, **limits: int) -> dict[str, Any]:
    """Every threshold exactly on the figure it is compared with (`nudge` moves each one
    against the system); 20 cases and 1 critical error allowed unless `limits` say else."""
    if judged_on == "point":
        at_least, at_most = 0.9, 0.05
    else:
        at_least, at_most = wilson(18, 20)[0], wilson(1, 20)[1]
    criteria = [
        {"metric": "accuracy", "threshold": at_least + nudge, "judged_on": judged_on},
        {"metric": "false_abstain_rate", "threshold": at_most - nudge, "judged_on": judged_on},
    ]
    return {"criteria": criteria, "min_cases": 20, "max_critical_errors": 1, **limits}


@pytest.mark.parametrize("judged_on", ["point", "lower_bound"])
def test_a_figure_exactly_on_the_threshold_meets_it(judged_on: str) -> None:
    """ "At least 90%" is met by 90% and "at most 5%" by 5%, on the point and on the bound; 20
    cases meet "at least 20 cases" and one critical error meets "at most one"."""
    v = judge(frames(edge_rows()), version(edge_bar(judged_on), 2, signed=True))
    assert [c.judged_value for c in v.criteria] == [
        c["threshold"] for c in edge_bar(judged_on)["criteria"]
    ]
    assert [c.direction for c in v.criteria] == ["at_least", "at_most"]
    assert [c.passed for c in v.criteria] == [True, True]
    assert v.n_cases == v.min_cases == 20 and v.min_cases_met
    assert v.critical_errors == ["c1"] and v.max_critical_errors == 1
    assert v.passed and v.missed() == 0 and not v.exploratory


@pytest.mark.parametrize("judged_on", ["point", "lower_bound"])
def test_a_figure_just_short_of_the_threshold_misses_it(judged_on: str) -> None:
    v = judge(frames(edge_rows()), version(edge_bar(judged_on, nudge=1e-9), 2, signed=True))
    assert [c.passed for c in v.criteria] == [False, False]
    assert not v.passed and v.missed() == 2


@pytest.mark.parametrize(
    ("limits", "min_cases_met"),
    [({"min_cases": 21}, False), ({"max_critical_errors": 0}, True)],
)
def test_one_case_short_or_one_critical_error_too_many_fails(
    limits: dict[str, int], min_cases_met: bool
) -> None:
    v = judge(frames(edge_rows()), version(edge_bar("point", **limits), 2, signed=True))
    assert all(c.passed for c in v.criteria)
    assert v.min_cases_met is min_cases_met and not v.passed and v.missed() == 1


def test_a_whole_verdict_reads_every_figure_from_the_runs_frames() -> None:
    """The five-case run of metric_frames (worked by hand in test_citations.py): accuracy 2/5,
    citation precision 4/8, citation coverage among 'policy' cases 1/2, evidence recall 1/4."""
    bar = {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.4, "judged_on": "point"},
            {"metric": "citation_precision", "threshold": 0.5, "judged_on": "lower_bound"},
            {
                "metric": "citation_coverage",
                "threshold": 0.3,
                "scope": "tag:policy",
                "judged_on": "point",
            },
            {"metric": "evidence_recall", "threshold": 0.25, "judged_on": "point"},
        ],
        "min_cases": 5,
    }

    def result(
        metric: str, scope: str, judged_on: str, threshold: float, k: int, n: int, passed: bool
    ) -> CriterionResult:
        low, high = wilson(k, n)
        judged = k / n if judged_on == "point" else low
        return CriterionResult(
            metric, scope, judged_on, threshold, "at_least", k / n, low, high, n, judged, passed
        )

    expected = Verdict(
        exploratory=False,
        bar_version=7,
        criteria=[
            result("accuracy", "all", "point", 0.4, 2, 5, True),
            result("citation_precision", "all", "lower_bound", 0.5, 4, 8, False),
            result("citation_coverage", "tag:policy", "point", 0.3, 1, 2, True),
            result("evidence_recall", "all", "point", 0.25, 1, 4, True),
        ],
        min_cases=5,
        n_cases=5,
        min_cases_met=True,
        max_critical_errors=0,
        critical_errors=[],
        passed=False,
        errors=1,  # c5 timed out: 1 of 5 cases is over the default 2%
        max_error_rate=0.02,
        inconclusive=True,
    )
    assert judge(RunFrames(**shared_run()), version(bar, 7, signed=True)) == expected


def test_without_a_bar_a_run_is_exploratory_and_never_passes() -> None:
    rows = [row(0, False, consequential=True), row(1, True), row(2, True)]
    verdict = judge(frames(rows), None)
    assert verdict == Verdict(
        exploratory=True,
        bar_version=None,
        criteria=[],
        min_cases=0,
        n_cases=3,
        min_cases_met=True,
        max_critical_errors=None,
        critical_errors=["c0"],
        passed=False,
        errors=0,
        max_error_rate=0.02,
        inconclusive=False,
    )
    assert verdict.to_dict() == {
        "exploratory": True,
        "bar_version": None,
        "criteria": [],
        "min_cases": 0,
        "n_cases": 3,
        "min_cases_met": True,
        "max_critical_errors": None,
        "critical_errors": ["c0"],
        "passed": False,
        "errors": 0,
        "max_error_rate": 0.02,
        "inconclusive": False,
    }


def test_a_bar_with_no_criteria_is_judged_on_its_counts() -> None:
    rows = [row(i, True) for i in range(3)]
    v = judge(frames(rows), version({"min_cases": 3}, 4, signed=True))
    assert v.criteria == [] and v.min_cases_met and v.passed
    assert not judge(frames(rows), version({"min_cases": 4}, 4, signed=True)).passed


@pytest.mark.parametrize(("failed", "inconclusive"), [(1, False), (2, True)])
def test_errors_exactly_at_the_limit_still_leave_a_verdict(failed: int, inconclusive: bool) -> None:
    """1 infrastructure error in 20 cases is 5%, exactly the bar's limit: the run is judged.
    2 in 20 is over it: the run is inconclusive and cannot pass, whatever its figures."""
    rows = [row(i, True) for i in range(20)]
    for i in range(failed):
        rows[i] = {**rows[i], "correct": False, "error": "529 overloaded"}
    bar = {"criteria": [], "min_cases": 20, "max_error_rate": 0.05}
    v = judge(frames(rows), version(bar, 1, signed=True))
    assert (v.errors, v.max_error_rate, v.inconclusive) == (failed, 0.05, inconclusive)
    assert v.passed is not inconclusive
    none = judge(frames(rows), None)
    assert (none.max_error_rate, none.inconclusive) == (0.02, True)  # the default limit


def test_no_cases_are_not_inconclusive() -> None:
    assert judge(frames([]), None).inconclusive is False


def test_one_case_that_errored_is_inconclusive_and_no_cases_count_no_errors() -> None:
    """1 error in 1 case is 100%, over any limit; an empty run has no errors at all."""
    only = judge(frames([{**row(0, False), "error": "timed out"}]), None)
    assert (only.n_cases, only.errors, only.inconclusive) == (1, 1, True)
    empty = judge(frames([]), version({"min_cases": 1}, 1, signed=True))
    assert (empty.n_cases, empty.errors, empty.inconclusive) == (0, 0, False)


def test_an_exploratory_verdict_counts_its_errors() -> None:
    rows = [row(i, True) for i in range(10)]
    rows[3] = {**rows[3], "error": "529 overloaded"}
    v = judge(frames(rows), None)
    assert (v.exploratory, v.errors, v.inconclusive) == (True, 1, True)  # 10% > 2%


def test_estimates_given_are_judged_not_computed_again() -> None:
    """`overall` is the run's estimates already computed (by the report): the verdict judges
    those, so a figure given is the figure judged."""
    rows = [row(i, True) for i in range(20)]
    bar = {
        "criteria": [{"metric": "accuracy", "threshold": 0.9, "judged_on": "point"}],
        "min_cases": 20,
    }
    low, high = wilson(10, 20)
    given = {"accuracy": Estimate("accuracy", 0.5, low, high, 20)}  # under the threshold
    assert judge(frames(rows), version(bar, 1, signed=True)).passed
    judged = judge(frames(rows), version(bar, 1, signed=True), given)
    assert judged.criteria[0].value == 0.5 and not judged.passed
