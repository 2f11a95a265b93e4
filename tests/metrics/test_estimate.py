from __future__ import annotations

import dataclasses

import polars as pl
import pytest

from metrics.estimate import Estimate
from metrics.intervals import wilson


def test_from_counts_carries_wilson_interval() -> None:
    est = Estimate.from_counts("accuracy", 3, 4)
    assert est.value == 0.75
    assert (est.low, est.high) == pytest.approx(wilson(3, 4))
    assert est.to_dict() == {"value": 0.75, "low": est.low, "high": est.high, "n": 4}


def test_no_cases_means_no_value() -> None:
    est = Estimate.from_counts("accuracy", 0, 0)
    assert est.to_dict() == {"value": None, "low": None, "high": None, "n": 0}
    assert Estimate.missing("x") == Estimate("x", None, None, None, 0)


def test_from_frame_sums_per_case_counts() -> None:
    counts = pl.DataFrame({"case_id": ["a", "b", "c"], "k": [1, 0, 2], "n": [1, 1, 3]})
    assert Estimate.from_frame("m", counts) == Estimate.from_counts("m", 3, 5)
    empty = pl.DataFrame(schema={"case_id": pl.String, "k": pl.Int64, "n": pl.Int64})
    assert Estimate.from_frame("m", empty).value is None


def test_estimate_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Estimate.from_counts("m", 1, 2).value = 1.0  # type: ignore[misc]
