from __future__ import annotations

import pytest
from metric_frames import Builder, Frames

from metrics.accuracy import accuracy
from metrics.intervals import wilson


def test_accuracy_counts_unjudged_and_errors_as_incorrect(results: Builder) -> None:
    # 5 cases: two correct; one wrong; one never judged (null); one "correct" but errored.
    # k = 2, n = 5 → 0.4, Wilson (0.1176, 0.7693)
    est = accuracy(
        results(
            {"case_id": "a", "correct": True},
            {"case_id": "b", "correct": True},
            {"case_id": "c", "correct": False},
            {"case_id": "d", "correct": None},
            {"case_id": "e", "correct": True, "error": "timeout"},
        )
    )
    assert (est.name, est.value, est.n) == ("accuracy", 0.4, 5)
    assert est.low == pytest.approx(0.1176, abs=1e-4)
    assert est.high == pytest.approx(0.7693, abs=1e-4)


def test_accuracy_on_the_shared_run(run: Frames) -> None:
    # c1 and c3 are correct; c2, c4 wrong; c5 errored → 2/5
    est = accuracy(run["results"])
    assert (est.value, est.n) == (0.4, 5)
    assert (est.low, est.high) == pytest.approx(wilson(2, 5))


def test_accuracy_of_no_cases_is_none(empty: Frames) -> None:
    est = accuracy(empty["results"])
    assert est.to_dict() == {"value": None, "low": None, "high": None, "n": 0}


def test_accuracy_names_a_missing_column(results: Builder) -> None:
    with pytest.raises(ValueError, match="missing column.*correct"):
        accuracy(results({"case_id": "a"}).drop("correct"))


def test_accuracy_accepts_a_duckdb_relation(run: Frames) -> None:
    import duckdb

    frame = run["results"]  # noqa: F841 - read by the SQL below
    relation = duckdb.sql("select * from frame")
    assert accuracy(relation).value == 0.4
