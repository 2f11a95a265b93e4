"""Plotly figures for the Results page and the evidence report: one metric over runs, a few
metrics of one run, and the change from a baseline.

Each builder draws numbers already computed by `metrics` (value, 95% interval, n); none computes
a figure of its own, so a chart can never disagree with the table beside it. Every figure
carries a title a stakeholder can read, labelled axes, the bar's threshold as a labelled line
where a bar applies, and n on hover: an interval without its n invites over-reading. The tag
heatmap is `pilot.results.tag_heatmap`; shared styling is `pilot.results.chart_style`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from pilot.results.chart_style import (
    BAR_LINE,
    INK,
    MEETS,
    MISSES,
    PRIMARY,
    Threshold,
    error_bars,
    figure,
    label,
    layout,
    meaning,
    pct,
    value_axis,
    value_text,
    wrapped,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from metrics.estimate import Estimate
    from metrics.regression import Delta


def metric_over_runs(history: pl.DataFrame, metric: str, threshold: Threshold | None) -> go.Figure:
    """One metric per run: the point, its 95% interval as error bars, n beside each point, and
    the bar's threshold as a labelled line. `history` has one row per run and metric with
    columns order, run_id, tick, started_at, system, metric, value, low, high, n."""
    import plotly.graph_objects as go

    rows = history.filter((pl.col("metric") == metric) & (pl.col("n") > 0)).sort("order")
    fig = figure()
    name = label(metric)
    values, lows, highs = rows["value"].to_list(), rows["low"].to_list(), rows["high"].to_list()
    error = error_bars(values, lows, highs)
    met = [
        threshold.met(v, lo, hi) if threshold else None
        for v, lo, hi in zip(values, lows, highs, strict=True)
    ]
    verdict = ["" if m is None else ("\nmeets the bar" if m else "\nbelow the bar") for m in met]
    colours = [PRIMARY if m is None else (MEETS if m else MISSES) for m in met]
    fig.add_trace(
        go.Scatter(
            name=f"{name} per run",
            x=rows["order"].to_list(),
            y=values,
            error_y=error | {"color": "#7a8699"},
            mode="lines+markers+text",
            line={"color": "#c3cbd6", "width": 1},
            marker={"size": 11, "color": colours, "line": {"color": "white", "width": 1}},
            text=[f"n={n}" for n in rows["n"]],
            textposition="middle right",
            textfont={"size": 11, "color": "#55606e"},
            customdata=list(
                zip(
                    rows["run_id"],
                    rows["started_at"],
                    rows["system"],
                    [value_text(metric, v) for v in lows],
                    [value_text(metric, v) for v in highs],
                    rows["n"],
                    verdict,
                    [value_text(metric, v) for v in values],
                    strict=True,
                )
            ),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>started %{customdata[1]}<br>system %{customdata[2]}"
                f"<br>{name}: %{{customdata[7]}}"
                "<br>95% interval %{customdata[3]} to %{customdata[4]}"
                "<br>n = %{customdata[5]} cases%{customdata[6]}<extra></extra>"
            ),
        )
    )
    orders = rows["order"].to_list()
    left, right = (min(orders) - 0.5, max(orders) + 0.5) if orders else (0.5, 1.5)
    if threshold is not None:
        fig.add_trace(
            go.Scatter(
                name=f"Bar: {value_text(metric, threshold.value)}",
                x=[left, right],
                y=[threshold.value, threshold.value],
                mode="lines",
                line={"color": BAR_LINE, "width": 2, "dash": "dash"},
                hovertemplate=f"{threshold.describe()}<extra></extra>",
            )
        )
        fig.add_annotation(
            x=right,
            y=threshold.value,
            xanchor="right",
            yanchor="bottom",
            text=f"bar: {value_text(metric, threshold.value)}",
            showarrow=False,
            font={"color": BAR_LINE},
        )
    subtitle = meaning(metric)
    subtitle += f" · {threshold.describe()}" if threshold else " · no bar applies"
    layout(fig, f"{name} per run, with 95% intervals", subtitle, 420)
    fig.update_layout(
        xaxis={
            "title": {"text": "Run (oldest to newest, by start time)"},
            "tickmode": "array",
            "tickvals": orders,
            "ticktext": rows["tick"].to_list(),
            "range": [left, right],
            "showgrid": False,
        },
        yaxis=value_axis(metric, name),
        showlegend=threshold is not None,
    )
    return fig


def metric_bars(
    estimates: Mapping[str, Estimate],
    thresholds: Mapping[str, Threshold],
    names: Sequence[str],
    title: str,
) -> go.Figure:
    """A few metrics of one run side by side: bar = value, error bar = 95% interval, a tick at
    each bar's threshold, n under each label."""
    import plotly.graph_objects as go

    shown = [m for m in names if m in estimates]
    ticks = [
        f"{wrapped(label(m), 22)}\n{value_text(m, estimates[m].value)} · n={estimates[m].n}"
        for m in shown
    ]
    values = [estimates[m].value for m in shown]
    lows = [estimates[m].low for m in shown]
    highs = [estimates[m].high for m in shown]
    error = error_bars(values, lows, highs)
    colours = []
    for m in shown:
        e, t = estimates[m], thresholds.get(m)
        met = t.met(e.value, e.low, e.high) if t else None
        colours.append(PRIMARY if met is None else (MEETS if met else MISSES))
    fig = figure()
    fig.add_trace(
        go.Bar(
            name="value",
            x=ticks,
            y=values,
            error_y=error | {"color": INK},
            marker={"color": colours},
            customdata=[
                [meaning(m), value_text(m, lo), value_text(m, hi), estimates[m].n, value_text(m, v)]
                for m, v, lo, hi in zip(shown, values, lows, highs, strict=True)
            ],
            hovertemplate=(
                "%{customdata[0]}<br>value %{customdata[4]} (95% interval %{customdata[1]} to "
                "%{customdata[2]})<br>n = %{customdata[3]}<extra></extra>"
            ),
            showlegend=False,
        )
    )
    with_bar = [(tick, m) for tick, m in zip(ticks, shown, strict=True) if m in thresholds]
    if with_bar:
        fig.add_trace(
            go.Scatter(
                name="Bar threshold",
                x=[tick for tick, _ in with_bar],
                y=[thresholds[m].value for _, m in with_bar],
                mode="markers",
                marker={"symbol": "line-ew", "size": 60, "line": {"color": BAR_LINE, "width": 3}},
                customdata=[thresholds[m].describe() for _, m in with_bar],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    layout(fig, title, "bar: value · black whisker: 95% interval · orange line: the bar", 400)
    fig.update_layout(
        xaxis={"title": {"text": "n = the cases (or citations) each measure counts"}},
        yaxis=value_axis(shown[0] if shown else "", "Value"),
        bargap=0.45,
        showlegend=bool(with_bar),
    )
    return fig


def delta_chart(deltas: Mapping[str, Delta]) -> go.Figure:
    """New − baseline per metric, with Newcombe's paired 95% interval; the zero line is "no
    change", so an interval crossing it is a change chance could explain."""
    import plotly.graph_objects as go

    shown = [d for d in deltas.values() if d.value is not None]
    names = [label(d.name) for d in shown]
    values = [d.value for d in shown]
    plus = [d.high - d.value for d in shown]  # type: ignore[operator]
    minus = [d.value - d.low for d in shown]  # type: ignore[operator]
    ends = [abs(x) for d in shown for x in (d.low, d.high) if x is not None]
    reach = min(1.0, max([0.1, *ends]) + 0.05)
    fig = figure()
    fig.add_vline(x=0, line={"color": "#7a8699", "width": 1})
    fig.add_trace(
        go.Scatter(
            name="change",
            x=values,
            y=names,
            mode="markers",
            marker={"size": 11, "color": PRIMARY},
            error_x={"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.5},
            customdata=[
                [pct(d.base.value), pct(d.new.value), pct(d.low), pct(d.high), d.n] for d in shown
            ],
            hovertemplate=(
                "%{y}: %{customdata[0]} → %{customdata[1]}<br>change %{x:+.1%} "
                "(95% interval %{customdata[2]} to %{customdata[3]})"
                "<br>n = %{customdata[4]} paired cases<extra></extra>"
            ),
            showlegend=False,
        )
    )
    layout(
        fig,
        "Change from the baseline run, with 95% paired intervals",
        "right of the line: higher in the new run; an interval crossing the line may be chance",
        max(260, 120 + 45 * len(shown)),
    )
    fig.update_layout(
        xaxis={
            "title": {"text": "New run minus baseline (percentage points)"},
            "tickformat": "+.0%",
            "range": [-reach, reach],
            "zeroline": False,
            "gridcolor": "#e6e9ef",
        },
        yaxis={"title": {"text": ""}, "autorange": "reversed"},
    )
    return fig
