"""What every Results chart shares: colours, labels, axes in a metric's unit, the bar's line.

A label, a direction and a unit come from the metric's registration (`metrics.registry`), and
whether a figure meets the bar from the one criterion rule (`Criterion.passes`), so a chart can
never disagree with the verdict table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metrics.registry import MetricSpec, get_metric
from metrics.units import UNITS
from pilot.define.criteria import Criterion, describe_threshold

if TYPE_CHECKING:
    import plotly.graph_objects as go

INK = "#1a1a1a"
PRIMARY = "#1f4e79"
MEETS = "#2166ac"  # blue: clears the bar
MISSES = "#e66101"  # orange: misses it (blue and orange stay apart for every colour vision)
BAR_LINE = "#b35900"
GOOD_TO_BAD = [
    [0.0, "#e66101"],
    [0.5, "#fdb863"],
    [0.8, "#d1e5f0"],
    [0.9, "#92c5de"],
    [1.0, "#4393c3"],
]
"""The heatmap's scale, orange (trouble) to blue (good): safe for red–green colour blindness,
and light enough everywhere that dark `INK` text on any cell keeps a contrast of at least 4.5:1
(WCAG AA; tests/pilot/test_palette.py checks the whole interpolated scale)."""


def spec(metric: str) -> MetricSpec | None:
    try:
        return get_metric(metric)
    except KeyError:
        return None


def label(metric: str) -> str:
    """Display name; lower-is-better metrics say so, so nobody reads a rise as progress."""
    found = spec(metric)
    name = found.label if found else metric.replace("_", " ").capitalize()
    return f"{name} (lower is better)" if found and found.direction == "lower" else name


def meaning(metric: str) -> str:
    found = spec(metric)
    return found.meaning if found else ""


def pct(value: float | None, digits: int = 1) -> str:
    """A proportion as a percentage ("92.5%"); "—" for none."""
    return UNITS["percent"].text(value, digits)


def value_text(metric: str, value: float | None, digits: int = 1) -> str:
    """A metric's value in its own unit: "92.5%", "1,240 ms", "$0.0042"."""
    found = spec(metric)
    return found.units.text(value, digits) if found else pct(value, digits)


def is_percent(metric: str) -> bool:
    found = spec(metric)
    return found is None or found.unit == "percent"


@dataclass(frozen=True)
class Threshold:
    """One criterion of the bar as a chart draws it; whether a figure meets it is the
    criterion's own rule."""

    criterion: Criterion
    bar: str  # e.g. "bar v3 (signed)"

    @property
    def value(self) -> float:
        return self.criterion.threshold

    def describe(self) -> str:
        return describe_threshold(self.criterion, self.bar)

    def met(self, value: float | None, low: float | None, high: float | None) -> bool | None:
        """None when there is no figure to judge; otherwise `Criterion.passes`."""
        if value is None:
            return None
        return self.criterion.passes(value, low, high)


def figure() -> go.Figure:
    import plotly.graph_objects as go

    return go.Figure()


def layout(fig: go.Figure, title: str, subtitle: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "subtitle": {"text": subtitle}, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        font={"color": INK},
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
    )
    return fig


def value_axis(metric: str, title: str) -> dict[str, object]:
    """A y axis in the metric's unit: 0–100% for a rate, from 0 up for ms or USD."""
    found = spec(metric)
    axis: dict[str, object] = {"title": {"text": title}, "gridcolor": "#e6e9ef", "zeroline": False}
    if found is None or found.unit == "percent":
        return axis | {"range": [0, 1.05], "tickformat": ".0%"}
    return axis | {"rangemode": "tozero", "tickformat": found.units.axis_format}


def error_bars(
    values: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
) -> dict[str, object]:
    """Asymmetric error bars that reach exactly the interval's ends."""
    plus = [None if v is None or h is None else h - v for v, h in zip(values, highs, strict=True)]
    minus = [
        None if v is None or lo is None else v - lo for v, lo in zip(values, lows, strict=True)
    ]
    return {"type": "data", "array": plus, "arrayminus": minus, "visible": True, "thickness": 1.5}


def wrapped(text: str, width: int = 18) -> str:
    """A label broken into lines of about `width` characters, for column headings (lines end
    in `inert_chart.LINE_BREAK`, which the chart's escaping draws as a break)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)
