"""Units: how a value reads and which thresholds each unit allows, worked by hand."""

from __future__ import annotations

import math

import pytest

from metrics.units import UNITS, Unit

PERCENT, MS, USD = UNITS["percent"], UNITS["ms"], UNITS["usd"]


@pytest.mark.parametrize(
    ("unit", "value", "digits", "text"),
    [
        (PERCENT, 0.925, 1, "92.5%"),
        (PERCENT, 0.9, 1, "90%"),  # no trailing ".0"
        (PERCENT, 0.12345, 2, "12.35%"),
        (PERCENT, 0.926, 0, "93%"),
        (PERCENT, 0.5, 0, "50%"),
        (MS, 1240.4, 1, "1,240 ms"),
        (MS, 0.6, 1, "1 ms"),
        (USD, 0.0042, 1, "$0.0042"),
        (USD, 12.34567, 1, "$12.35"),
        (PERCENT, None, 1, "—"),
        (MS, None, 1, "—"),
    ],
)
def test_a_value_reads_in_its_unit(unit: Unit, value: float | None, digits: int, text: str) -> None:
    assert unit.text(value, digits) == text


def test_the_default_is_one_decimal_of_a_percent() -> None:
    assert PERCENT.text(0.12345) == "12.3%"


@pytest.mark.parametrize(
    ("unit", "value", "kept"),
    [(PERCENT, 0, 0.0), (PERCENT, 1, 1.0), (PERCENT, 0.25, 0.25), (MS, 0, 0.0), (MS, 2500, 2500.0)],
)
def test_a_threshold_in_range_is_kept_as_a_float(unit: Unit, value: float, kept: float) -> None:
    checked = unit.check(value)
    assert checked == kept and type(checked) is float


@pytest.mark.parametrize(
    ("unit", "value", "message"),
    [
        (PERCENT, 90, "90 is not a proportion between 0 and 1: write 0.9 for 90%"),
        (PERCENT, 1.5, "1.5 is not a proportion between 0 and 1: write 0.015 for 1.5%"),
        (PERCENT, 100, "100 is not a proportion between 0 and 1: write 1 for 100%"),
        (PERCENT, 150, "150 is not a proportion between 0 and 1"),
        (PERCENT, 100.5, "100.5 is not a proportion between 0 and 1"),  # no percent reads so
        (PERCENT, -0.1, "-0.1 is not a proportion between 0 and 1"),
        (PERCENT, math.nan, "nan is not a number"),
        (PERCENT, True, "True is not a number"),
        (PERCENT, "0.5", "'0.5' is not a number"),
        (MS, -1, "-1 is not a time in milliseconds: use a number ≥ 0"),
        (MS, math.inf, "inf is not a time in milliseconds: use a number ≥ 0"),
        (USD, -0.01, "-0.01 is not a cost in us dollars: use a number ≥ 0"),
    ],
)
def test_a_threshold_out_of_range_is_refused_saying_what_is_allowed(
    unit: Unit, value: object, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        unit.check(value)
    assert str(refused.value) == message


def test_each_unit_has_its_axis() -> None:
    assert [(u.name, u.low, u.high, u.axis_format, u.axis_title) for u in UNITS.values()] == [
        ("percent", 0.0, 1.0, ".0%", "Share"),
        ("ms", 0.0, None, ",.0f", "Time in milliseconds"),
        ("usd", 0.0, None, "$.4f", "Cost in US dollars"),
    ]
