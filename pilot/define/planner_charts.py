"""Plotly figures for the sample-size planner, on the Acceptance bar and Golden set pages.

Two pictures answer the lead's question at a glance. The first is the chance of passing against
the system's true rate, for the golden set's size and the recommended one, with the threshold
and the expected rate marked: a steep curve separates a system at the threshold from one at the
expected rate; a shallow one cannot. The second is the chance against the number of cases at the
expected rate, drawn point by point so the steps of discrete sizes show (a size that reaches the
target can be followed by one that does not).

The figures draw `pilot.define.planner_curves` and nothing else, so they match the CLI's
JSON. A criterion's wording can hold a tag someone typed: the titles, axis titles and hover
templates written here escape it (`escape_inert`); trace names are data, escaped once by the
app's one chart choke point (`app.ui.chart` → `pilot.results.inert_chart.inert_figure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metrics.planner_text import chance_text, rate_text
from pilot.core.inert import escape_inert
from pilot.define.planner import PlannerRow
from pilot.define.planner_curves import PlannerCurves, planner_curves

if TYPE_CHECKING:
    import plotly.graph_objects as go

INK = "#1a1a1a"
HAVE = "#7a8699"
RECOMMENDED = "#1f4e79"
THRESHOLD = "#b35900"
EXPECTED = "#2e7d32"
DIP = "#c62828"


def _figure(
    traces: list[dict[str, Any]],
    marks: list[dict[str, Any]],
    title: str,
    subtitle: str,
    xaxis: dict[str, Any],
) -> go.Figure:
    """One figure built in one go: Plotly validates it once (add_vline per mark is slow)."""
    import plotly.graph_objects as go

    shapes = [m["shape"] for m in marks]
    notes = [m["note"] for m in marks if m.get("note")]
    return go.Figure(
        data=traces,
        layout={
            "title": {"text": title, "subtitle": {"text": subtitle}, "x": 0, "xanchor": "left"},
            "height": 400,
            "margin": {"l": 10, "r": 10, "t": 90, "b": 40},
            "font": {"color": INK},
            "plot_bgcolor": "white",
            "hoverlabel": {"align": "left"},
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "left", "x": 0},
            "yaxis": {
                "title": {"text": "chance of passing"},
                "range": [0, 1.02],
                "tickformat": ".0%",
                "gridcolor": "#e6e9ef",
            },
            "xaxis": {"gridcolor": "#e6e9ef"} | xaxis,
            "shapes": shapes,
            "annotations": notes,
        },
    )


def _vline(x: float, colour: str, dash: str, text: str, side: str, top: bool = True) -> dict:
    """A vertical line across the plot with its label at the top (or bottom), left or right."""
    shape = {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": colour, "width": 2, "dash": dash},
    }
    note = {
        "text": text,
        "x": x,
        "xref": "x",
        "y": 1 if top else 0,
        "yref": "paper",
        "showarrow": False,
        "xanchor": "right" if side == "left" else "left",
        "yanchor": "top" if top else "bottom",
        "font": {"color": colour},
    }
    return {"shape": shape, "note": note}


def _hline(y: float, colour: str, dash: str, text: str | None = None) -> dict:
    shape = {
        "type": "line",
        "xref": "paper",
        "yref": "y",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": colour, "width": 2 if text else 1, "dash": dash},
    }
    note = None
    if text:
        note = {
            "text": text,
            "x": 1,
            "xref": "paper",
            "y": y,
            "yref": "y",
            "showarrow": False,
            "xanchor": "right",
            "yanchor": "top",
            "font": {"color": colour},
        }
    return {"shape": shape, "note": note}


def _count(n: int, row: PlannerRow) -> str:
    return f"{n:,} {escape_inert(row.unit)}"


def chance_by_rate_figure(row: PlannerRow, curves: PlannerCurves | None = None) -> go.Figure:
    """The chance of passing against the true rate, threshold and expected rate marked."""
    curves = curves or planner_curves(row)
    plan, rule = row.plan, row.plan.rule
    lines = [
        (plan.have, curves.chance_have, "golden set", HAVE, "dot"),
        (plan.required, curves.chance_required, "recommended", RECOMMENDED, "solid"),
    ]
    traces = [
        {
            "type": "scatter",
            "name": f"{label}: {n:,} {row.unit}",  # data: escaped by the app's chart choke point
            "x": curves.rates,
            "y": chance,
            "mode": "lines",
            "line": {"color": colour, "width": 3, "dash": dash},
            "hovertemplate": (
                f"true rate %{{x:.1%}}: passes %{{y:.1%}} of the time with {_count(n, row)}"
                "<extra></extra>"
            ),
        }
        for n, chance, label, colour, dash in lines
        if n and chance is not None
    ]
    left, right = ("right", "left") if rule.at_most else ("left", "right")
    marks = [
        _vline(rule.threshold, THRESHOLD, "dash", f"threshold {rate_text(rule.threshold)}", left),
        _vline(
            plan.expected_rate,
            EXPECTED,
            "solid",
            f"expected {rate_text(plan.expected_rate)}",
            right,
        ),
        _hline(plan.power, "#9aa5b1", "dot"),
    ]
    better = "lower" if rule.at_most else "higher"
    return _figure(
        traces,
        marks,
        "Chance of passing, by the system's true rate",
        f"a {better} true rate passes more often · dotted line: {rate_text(plan.power)} target",
        {"title": {"text": "true rate"}, "tickformat": ".0%"},
    )


def chance_by_size_figure(row: PlannerRow, curves: PlannerCurves | None = None) -> go.Figure:
    """The chance of passing against the number of units, at the expected rate: every size is a
    point, so the saw-tooth of discrete sizes shows; sizes past the recommendation that fall
    below the target again are red."""
    curves = curves or planner_curves(row)
    plan = row.plan
    unit = escape_inert(row.unit)
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "name": f"chance at an expected {rate_text(plan.expected_rate)}",
            "x": curves.sizes,
            "y": curves.chance_by_size,
            "mode": "lines+markers",
            "line": {"color": "#c3cbd6", "width": 1},
            "marker": {"size": 4, "color": RECOMMENDED},
            "hovertemplate": f"%{{x:,}} {unit}: passes %{{y:.1%}} of the time<extra></extra>",
        }
    ]
    dips = [
        (n, c)
        for n, c in zip(curves.sizes, curves.chance_by_size, strict=True)
        if plan.required and n > plan.required and c < plan.power
    ]
    if dips:
        traces.append(
            {
                "type": "scatter",
                "name": f"dips below {rate_text(plan.power)} after the recommendation",
                "x": [n for n, _ in dips],
                "y": [c for _, c in dips],
                "mode": "markers",
                "marker": {"size": 6, "color": DIP},
                "hovertemplate": (
                    f"%{{x:,}} {unit}: only %{{y:.1%}}, below the target<extra></extra>"
                ),
            }
        )
    marks = [_hline(plan.power, THRESHOLD, "dash", f"target {rate_text(plan.power)}")]
    if plan.required:
        marks.append(
            _vline(plan.required, RECOMMENDED, "solid", f"recommended {plan.required:,}", "left")
        )
    if plan.have:
        chance = chance_text(plan.chance_have or 0)
        marks.append(
            _vline(plan.have, HAVE, "dot", f"golden set {plan.have:,} ({chance})", "right", False)
        )
    return _figure(
        traces,
        marks,
        f"Chance of passing, by the number of {unit}",
        f"at the expected {rate_text(plan.expected_rate)} · each point is one size: "
        "the chance steps up and down",
        {"title": {"text": f"number of {unit}"}},
    )
