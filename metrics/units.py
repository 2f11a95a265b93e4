"""The units a metric is reported in: how a value reads, and what a threshold on it may be.

A metric's registration names its unit, so a bar's threshold is checked against the same range
the figure lives in (a rate is a proportion in [0, 1]; a latency is any non-negative number of
milliseconds), and every page, chart and CLI line writes the value the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

UnitName = Literal["percent", "ms", "usd"]


@dataclass(frozen=True)
class Unit:
    name: UnitName
    low: float
    high: float | None
    """The largest legal value, or None for no upper limit."""
    axis_format: str
    """A Plotly tickformat for an axis in this unit."""
    axis_title: str

    def text(self, value: float | None, digits: int = 1) -> str:
        """A value as people read it: "92.5%", "1,240 ms", "$0.0042"; "—" for no value."""
        if value is None:
            return "—"
        if self.name == "percent":
            text = (
                f"{100 * value:.{digits}f}".removesuffix(".0") if digits else f"{100 * value:.0f}"
            )
            return f"{text}%"
        if self.name == "ms":
            return f"{value:,.0f} ms"
        return f"${value:.4g}"

    def check(self, value: float) -> float:
        """`value` as a threshold in this unit, or a ValueError saying what is allowed."""
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ValueError(f"{value!r} is not a number")
        if self.name == "percent":
            if not 0.0 <= value <= 1.0:
                hint = f": write {value / 100:g} for {value:g}%" if 1 < value <= 100 else ""
                raise ValueError(f"{value:g} is not a proportion between 0 and 1{hint}")
            return float(value)
        if value < self.low or math.isinf(value) or (self.high is not None and value > self.high):
            raise ValueError(f"{value:g} is not a {self.axis_title.lower()}: use a number ≥ 0")
        return float(value)


UNITS: dict[UnitName, Unit] = {
    "percent": Unit("percent", 0.0, 1.0, ".0%", "Share"),
    "ms": Unit("ms", 0.0, None, ",.0f", "Time in milliseconds"),
    "usd": Unit("usd", 0.0, None, "$.4f", "Cost in US dollars"),
}
