from __future__ import annotations

import pytest
from metric_frames import Builder, Frames

from metrics.abstention import abstain_rate_unanswerable, false_abstain_rate
from metrics.intervals import wilson


def test_abstention_rates_hand_worked(results: Builder) -> None:
    frame = results(
        # unanswerable: abstained, abstained, answered, errored → 2 of 4 abstained = 0.5
        {"case_id": "u1", "answerable": False, "abstained": True},
        {"case_id": "u2", "answerable": False, "abstained": True},
        {"case_id": "u3", "answerable": False, "abstained": False},
        {"case_id": "u4", "answerable": False, "abstained": True, "error": "timeout"},
        # answerable: one abstained of 3 → false-abstain rate 1/3
        {"case_id": "a1", "abstained": True},
        {"case_id": "a2"},
        {"case_id": "a3"},
    )
    right = abstain_rate_unanswerable(frame)
    assert (right.value, right.n) == (0.5, 4)
    assert (right.low, right.high) == pytest.approx(wilson(2, 4))
    wrong = false_abstain_rate(frame)
    assert (wrong.value, wrong.n) == (pytest.approx(1 / 3), 3)
    assert (wrong.low, wrong.high) == pytest.approx(wilson(1, 3))


def test_abstention_on_the_shared_run(run: Frames) -> None:
    # c5 is the only unanswerable case and it errored: 0/1. c4 abstained of c1–c4: 1/4.
    assert abstain_rate_unanswerable(run["results"]).value == 0.0
    assert false_abstain_rate(run["results"]).value == 0.25


def test_no_unanswerable_cases_is_none_not_zero(results: Builder) -> None:
    est = abstain_rate_unanswerable(results({"case_id": "a"}))
    assert (est.value, est.n) == (None, 0)


def test_empty_results(empty: Frames) -> None:
    assert abstain_rate_unanswerable(empty["results"]).n == 0
    assert false_abstain_rate(empty["results"]).value is None


def test_unknown_answerability_or_abstention_counts_as_neither(results: Builder) -> None:
    """A row whose `answerable` is null belongs to neither population; an `abstained` that is
    null is not an abstention."""
    frame = results(
        {"case_id": "u1", "answerable": False, "abstained": None},
        {"case_id": "u2", "answerable": False, "abstained": True},
        {"case_id": "x", "answerable": None, "abstained": True},
    )
    assert (abstain_rate_unanswerable(frame).value, abstain_rate_unanswerable(frame).n) == (0.5, 2)
    assert false_abstain_rate(frame).n == 0
