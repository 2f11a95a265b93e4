"""Plotly figures for the sample-size planner, on the Acceptance bar and Golden set pages.

Two pictures answer the lead's question at a glance. The first is the chance of passing against
the system's true rate, for the golden set's size and the recommended one, with the threshold
and the expected rate marked: a steep curve separates a system at the threshold from one at the
expected rate; a shallow one cannot. The second is the chance against the number of cases at the
expected rate, drawn point by point so the steps of discrete sizes show (a size that reaches the
target can be followed by one that does not).

The figures draw `pilot.define.planner.planner_curves` and nothing else, so they match the CLI's
JSON. A criterion's wording can hold a tag someone typed: every label goes through
`escape_inert`, so no text is read as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metrics.planner_text import chance_text, rate_text
from pilot.core.inert import escape_inert
from pilot.define.planner import PlannerCurves, PlannerRow, planner_curves

if TYPE_CHECKING:
    import plotly.graph_objects as go

INK = "#1a1a1a"
HAVE = "#7a8699"
RECOMMENDED = "#1f4e79"
THRESHOLD = "#b35900"
EXPECTED = "#2e7d32"
DIP = "#c62828"


def _layout(fig: go.Figure, title: str, subtitle: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "subtitle": {"text": subtitle}, "x": 0, "xanchor": "left"},
        height=400,
        margin={"l": 10, "r": 10, "t": 90, "b": 40},
        font={"color": INK},
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "xanchor": "left", "x": 0},
        yaxis={
            "title": {"text": "chance of passing"},
            "range": [0, 1.02],
            "tickformat": ".0%",
            "gridcolor": "#e6e9ef",
        },
    )
    return fig


def _count(n: int, row: PlannerRow) -> str:
    return f"{n:,} {escape_inert(row.unit)}"


def chance_by_rate_figure(row: PlannerRow, curves: PlannerCurves | None = None) -> go.Figure:
    """The chance of passing against the true rate, threshold and expected rate marked."""
    import plotly.graph_objects as go

    curves = curves or planner_curves(row)
    plan = row.plan
    fig = go.Figure()
    lines = [
        (plan.have, curves.chance_have, f"golden set: {_count(plan.have or 0, row)}", HAVE, "dot"),
        (
            plan.required,
            curves.chance_required,
            f"recommended: {_count(plan.required or 0, row)}",
            RECOMMENDED,
            "solid",
        ),
    ]
    for n, chance, name, colour, dash in lines:
        if not n or chance is None:
            continue
        fig.add_trace(
            go.Scatter(
                name=name,
                x=curves.rates,
                y=chance,
                mode="lines",
                line={"color": colour, "width": 3, "dash": dash},
                hovertemplate=(
                    f"true rate %{{x:.1%}}: passes %{{y:.1%}} of the time with {_count(n, row)}"
                    "<extra></extra>"
                ),
            )
        )
    rule = plan.rule
    fig.add_vline(
        x=rule.threshold,
        line={"color": THRESHOLD, "width": 2, "dash": "dash"},
        annotation={"text": f"threshold {rate_text(rule.threshold)}", "font": {"color": THRESHOLD}},
        annotation_position="top left" if not rule.at_most else "top right",
    )
    fig.add_vline(
        x=plan.expected_rate,
        line={"color": EXPECTED, "width": 2},
        annotation={
            "text": f"expected {rate_text(plan.expected_rate)}",
            "font": {"color": EXPECTED},
        },
        annotation_position="top right" if not rule.at_most else "top left",
    )
    fig.add_hline(y=plan.power, line={"color": "#9aa5b1", "width": 1, "dash": "dot"})
    better = "lower" if rule.at_most else "higher"
    _layout(
        fig,
        "Chance of passing, by the system's true rate",
        f"a {better} true rate passes more often · dotted line: {rate_text(plan.power)} target",
    )
    fig.update_layout(
        xaxis={"title": {"text": "true rate"}, "tickformat": ".0%", "gridcolor": "#e6e9ef"}
    )
    return fig


def chance_by_size_figure(row: PlannerRow, curves: PlannerCurves | None = None) -> go.Figure:
    """The chance of passing against the number of units, at the expected rate: every size is a
    point, so the saw-tooth of discrete sizes shows; sizes past the recommendation that fall
    below the target again are red."""
    import plotly.graph_objects as go

    curves = curves or planner_curves(row)
    plan = row.plan
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            name=f"chance at an expected {rate_text(plan.expected_rate)}",
            x=curves.sizes,
            y=curves.chance_by_size,
            mode="lines+markers",
            line={"color": "#c3cbd6", "width": 1},
            marker={"size": 4, "color": RECOMMENDED},
            hovertemplate=(
                f"%{{x:,}} {escape_inert(row.unit)}: passes %{{y:.1%}} of the time<extra></extra>"
            ),
        )
    )
    dips = [
        (n, c)
        for n, c in zip(curves.sizes, curves.chance_by_size, strict=True)
        if plan.required and n > plan.required and c < plan.power
    ]
    if dips:
        fig.add_trace(
            go.Scatter(
                name=f"dips below {rate_text(plan.power)} after the recommendation",
                x=[n for n, _ in dips],
                y=[c for _, c in dips],
                mode="markers",
                marker={"size": 6, "color": DIP},
                hovertemplate=(
                    f"%{{x:,}} {escape_inert(row.unit)}: only %{{y:.1%}}, below the target"
                    "<extra></extra>"
                ),
            )
        )
    fig.add_hline(
        y=plan.power,
        line={"color": THRESHOLD, "width": 2, "dash": "dash"},
        annotation={"text": f"target {rate_text(plan.power)}", "font": {"color": THRESHOLD}},
        annotation_position="bottom right",
    )
    if plan.required:
        fig.add_vline(
            x=plan.required,
            line={"color": RECOMMENDED, "width": 2},
            annotation={"text": f"recommended {plan.required:,}"},
            annotation_position="top left",
        )
    if plan.have:
        fig.add_vline(
            x=plan.have,
            line={"color": HAVE, "width": 2, "dash": "dot"},
            annotation={"text": f"golden set {plan.have:,} ({chance_text(plan.chance_have or 0)})"},
            annotation_position="bottom left",
        )
    _layout(
        fig,
        f"Chance of passing, by the number of {escape_inert(row.unit)}",
        f"at the expected {rate_text(plan.expected_rate)} · each point is one size: "
        "the chance steps up and down",
    )
    fig.update_layout(
        xaxis={"title": {"text": f"number of {escape_inert(row.unit)}"}, "gridcolor": "#e6e9ef"}
    )
    return fig


def row_html(row: PlannerRow) -> str:
    """The headline and the plan's sentences as one inert HTML block (a tag in the criterion is
    text, never markup)."""
    items = "".join(f"<li>{escape_inert(s)}</li>" for s in row.sentences)
    return (
        f'<div class="planner"><p><b>{escape_inert(row.headline)}</b></p>'
        f'<ul style="font-size: 0.9em; padding-left: 1.2em;">{items}</ul></div>'
    )
