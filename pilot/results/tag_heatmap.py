"""The per-tag heatmap: where the system struggles, tag by tag, metric by metric.

Colour says how good a cell is, so orange always means trouble: a lower-is-better rate is coloured
by 1 − rate. A metric in another unit (milliseconds, dollars) has no "good" end on a 0–1 scale,
so its column shows its value and n without colour rather than a colour that would mean nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import polars as pl

from metrics.registry import metric_names
from pilot.results.chart_style import (
    GOOD_TO_BAD,
    INK,
    figure,
    is_percent,
    label,
    layout,
    spec,
    value_text,
    wrapped,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from metrics.estimate import Estimate


def heat_value(metric: str, value: float | None) -> float | None:
    """The colour of a heatmap cell: how good the figure is, so orange always means trouble
    (a lower-is-better rate is drawn as 1 − rate; the cell's text keeps the real value). None,
    no colour, for a value that is not a rate."""
    found = spec(metric)
    if value is None or not is_percent(metric):
        return None
    return 1.0 - value if found is not None and found.direction == "lower" else value


def tag_heatmap(
    slices: pl.DataFrame,
    overall: Mapping[str, Estimate] | None = None,
    names: Sequence[str] | None = None,
) -> go.Figure:
    """Tags × metrics from `metrics.slices.per_tag`, worst accuracy at the top, the whole run
    as the first row for comparison. Text is the value and n; colour is how good it is. An
    invisible marker sits on each cell so a click can select it (Plotly heatmaps themselves
    send no selection events)."""
    import plotly.graph_objects as go

    names = metric_names() if names is None else names
    present = [m for m in names if m in set(slices["metric"].to_list())] or list(names)
    cells: dict[tuple[str, str], tuple[float | None, float | None, float | None, int]] = {
        (t, m): (v, lo, hi, n)
        for t, m, v, lo, hi, n in slices.select("tag", "metric", "value", "low", "high", "n").rows()
    }
    tags = sorted(
        {t for t, _ in cells},
        key=lambda t: (cells.get((t, "accuracy"), (None,))[0] is None, *_rank(cells, t)),
    )
    rows: list[str] = []
    if overall is not None:
        rows.append("(all cases)")
        for m in present:
            e = overall.get(m)
            if e is not None:
                cells[("(all cases)", m)] = (e.value, e.low, e.high, e.n)
    rows += tags
    # headings share the width: about 120 characters across, over lines of at least 9
    columns = [wrapped(label(m), max(9, 120 // len(present))) for m in present]
    z, text, custom = [], [], []
    for t in rows:
        z_row, text_row, custom_row = [], [], []
        for m in present:
            v, lo, hi, n = cells.get((t, m), (None, None, None, 0))
            z_row.append(heat_value(m, v))
            text_row.append("no cases" if v is None else f"{value_text(m, v, 0)}\nn={n}")
            custom_row.append([t, m, value_text(m, v), value_text(m, lo), value_text(m, hi), n])
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    fig = figure()
    fig.add_trace(
        go.Heatmap(
            name="per tag",
            meta=list(present),
            x=columns,
            y=rows,
            z=z,
            zmin=0,
            zmax=1,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 12, "color": INK},
            colorscale=GOOD_TO_BAD,
            colorbar={"title": {"text": "good"}, "tickformat": ".0%", "thickness": 12},
            xgap=2,
            ygap=2,
            hoverinfo="skip",
        )
    )
    flat = [
        (c, t, cust)
        for t, cust_row in zip(rows, custom, strict=True)
        for c, cust in zip(columns, cust_row, strict=True)
    ]
    fig.add_trace(
        go.Scatter(
            name="cells",
            x=[c for c, _, _ in flat],
            y=[t for _, t, _ in flat],
            mode="markers",
            marker={"size": 28, "opacity": 0, "symbol": "square"},
            customdata=[cust for _, _, cust in flat],
            hovertemplate=(
                "<b>%{customdata[0]}</b> · %{x}<br>%{customdata[2]} "
                "(95% interval %{customdata[3]} to %{customdata[4]})"
                "<br>n = %{customdata[5]}<br>click to list these cases<extra></extra>"
            ),
            showlegend=False,
        )
    )
    layout(
        fig,
        "Results per tag: where the system struggles",
        "colour: blue is good, orange is trouble (a lower-is-better rate is coloured by 1 − rate; "
        "times and costs are not coloured) · text: value and number of cases",
        max(320, 170 + 38 * len(rows)),
    )
    lines = max((c.count("\n") + 1 for c in columns), default=1)
    fig.update_layout(
        margin={"t": 90 + 17 * lines},
        # the title at the top and the headings' lines between it and the cells
        title={"yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 24}},
        xaxis={"side": "top", "tickangle": 0, "showgrid": False, "tickfont": {"size": 11}},
        yaxis={"title": {"text": "Tag"}, "autorange": "reversed", "showgrid": False},
        hoverdistance=-1,
        clickmode="event+select",
        showlegend=False,
    )
    return fig


def _rank(cells: Mapping, tag: str) -> tuple[float, str]:
    value = cells.get((tag, "accuracy"), (None,))[0]
    return (value if value is not None else 2.0, tag)
