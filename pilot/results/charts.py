"""Plotly figures for the Results page and the evidence report.

Each builder draws numbers already computed by `metrics` (value, 95% interval, n); none computes
a figure of its own, so a chart can never disagree with the table beside it. Every figure
carries a title a stakeholder can read, labelled axes, the bar's threshold as a labelled line
where a bar applies, and n on hover: an interval without its n invites over-reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from metrics.registry import METRICS

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from metrics.estimate import Estimate
    from metrics.regression import Delta

LABELS: dict[str, str] = {
    "accuracy": "Accuracy",
    "citation_precision": "Citation precision",
    "citation_coverage": "Citation coverage",
    "evidence_recall": "Evidence recall",
    "abstain_rate_unanswerable": "Abstains when it should",
    "false_abstain_rate": "False abstentions",
}
MEANINGS: dict[str, str] = {
    "accuracy": "share of questions answered correctly",
    "citation_precision": "share of citations found word for word in the cited document",
    "citation_coverage": "share of answers whose every sentence carries a valid citation",
    "evidence_recall": "share of answers whose citations hit the agreed evidence",
    "abstain_rate_unanswerable": "share of unanswerable questions the system declined",
    "false_abstain_rate": "share of answerable questions the system wrongly declined",
}
LOWER_IS_BETTER = frozenset({"false_abstain_rate"})

INK = "#1a1a1a"
PRIMARY = "#1f4e79"
MEETS = "#2e7d32"
MISSES = "#c62828"
BAR_LINE = "#b35900"
GOOD_TO_BAD = [[0.0, "#c62828"], [0.5, "#f9d65c"], [0.8, "#a5d6a7"], [1.0, "#2e7d32"]]


def label(metric: str) -> str:
    """Display name; lower-is-better metrics say so, so nobody reads a rise as progress."""
    name = LABELS.get(metric, metric.replace("_", " ").capitalize())
    return f"{name} (lower is better)" if metric in LOWER_IS_BETTER else name


def pct(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{100 * value:.{digits}f}".removesuffix(".0") if digits else f"{100 * value:.0f}"
    return f"{text}%"


@dataclass(frozen=True)
class Threshold:
    """One criterion of the bar as a chart draws it."""

    metric: str
    value: float
    direction: str  # at_least | at_most
    judged_on: str  # point | lower_bound
    bar: str  # e.g. "bar v3 (signed)"

    def describe(self) -> str:
        bound = "at least" if self.direction == "at_least" else "at most"
        if self.judged_on == "point":
            basis = "the point estimate"
        else:
            basis = "95% lower bound" if self.direction == "at_least" else "95% upper bound"
            basis = f"the {basis}"
        return f"{self.bar}: {bound} {pct(self.value)}, judged on {basis}"

    def met(self, value: float | None, low: float | None, high: float | None) -> bool | None:
        from metrics.pass_rule import passes

        if value is None:
            return None
        at_most = self.direction == "at_most"
        judged_on = self.judged_on
        return bool(
            passes(value, low, high, threshold=self.value, judged_on=judged_on, at_most=at_most)
        )


def _figure() -> go.Figure:
    import plotly.graph_objects as go

    return go.Figure()


def _layout(fig: go.Figure, title: str, subtitle: str, height: int) -> go.Figure:
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


def _percent_axis(title: str) -> dict[str, object]:
    return {
        "title": {"text": title},
        "range": [0, 1.05],
        "tickformat": ".0%",
        "gridcolor": "#e6e9ef",
        "zeroline": False,
    }


def _error(
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


def metric_over_runs(history: pl.DataFrame, metric: str, threshold: Threshold | None) -> go.Figure:
    """One metric per run: the point, its 95% interval as error bars, n beside each point, and
    the bar's threshold as a labelled line. `history` has one row per run and metric with
    columns order, run_id, tick, started_at, system, metric, value, low, high, n."""
    import plotly.graph_objects as go

    rows = history.filter((pl.col("metric") == metric) & (pl.col("n") > 0)).sort("order")
    fig = _figure()
    name = label(metric)
    values, lows, highs = rows["value"].to_list(), rows["low"].to_list(), rows["high"].to_list()
    error = _error(values, lows, highs)
    met = [
        threshold.met(v, lo, hi) if threshold else None
        for v, lo, hi in zip(values, lows, highs, strict=True)
    ]
    verdict = [
        "" if m is None else ("<br>meets the bar" if m else "<br><b>below the bar</b>") for m in met
    ]
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
                    [pct(v) for v in lows],
                    [pct(v) for v in highs],
                    rows["n"],
                    verdict,
                    strict=True,
                )
            ),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>started %{customdata[1]}<br>system %{customdata[2]}"
                f"<br>{name}: %{{y:.1%}}"
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
                name=f"Bar: {pct(threshold.value)}",
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
            text=f"bar: {pct(threshold.value)}",
            showarrow=False,
            font={"color": BAR_LINE},
        )
    subtitle = MEANINGS.get(metric, "")
    subtitle += f" · {threshold.describe()}" if threshold else " · no bar applies"
    _layout(fig, f"{name} per run, with 95% intervals", subtitle, 420)
    fig.update_layout(
        xaxis={
            "title": {"text": "Run (oldest to newest, by start time)"},
            "tickmode": "array",
            "tickvals": orders,
            "ticktext": rows["tick"].to_list(),
            "range": [left, right],
            "showgrid": False,
        },
        yaxis=_percent_axis(name),
        showlegend=threshold is not None,
    )
    return fig


def heat_value(metric: str, value: float | None) -> float | None:
    """The colour of a heatmap cell: how good the figure is, so red always means trouble
    (a lower-is-better rate is drawn as 1 − rate; the cell's text keeps the real value)."""
    if value is None:
        return None
    return 1.0 - value if metric in LOWER_IS_BETTER else value


def tag_heatmap(
    slices: pl.DataFrame,
    overall: Mapping[str, Estimate] | None = None,
    names: Sequence[str] = METRICS,
) -> go.Figure:
    """Tags × metrics from `metrics.slices.per_tag`, worst accuracy at the top, the whole run
    as the first row for comparison. Text is the value and n; colour is how good it is. An
    invisible marker sits on each cell so a click can select it (Plotly heatmaps themselves
    send no selection events)."""
    import plotly.graph_objects as go

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
    columns = [_wrapped(label(m)) for m in present]
    z, text, custom = [], [], []
    for t in rows:
        z_row, text_row, custom_row = [], [], []
        for m in present:
            v, lo, hi, n = cells.get((t, m), (None, None, None, 0))
            z_row.append(heat_value(m, v))
            text_row.append("no cases" if v is None else f"{pct(v, 0)}<br>n={n}")
            custom_row.append([t, m, pct(v), pct(lo), pct(hi), n])
        z.append(z_row)
        text.append(text_row)
        custom.append(custom_row)
    fig = _figure()
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
            textfont={"size": 12},
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
    _layout(
        fig,
        "Results per tag: where the system struggles",
        "colour: green is good, red is trouble (false abstentions are coloured by 1 − rate) "
        "· text: value and number of cases",
        max(320, 170 + 38 * len(rows)),
    )
    fig.update_layout(
        margin={"t": 150},
        xaxis={"side": "top", "tickangle": 0, "showgrid": False},
        yaxis={"title": {"text": "Tag"}, "autorange": "reversed", "showgrid": False},
        hoverdistance=-1,
        clickmode="event+select",
        showlegend=False,
    )
    return fig


def _wrapped(text: str, width: int = 18) -> str:
    """A label broken into lines of about `width` characters, for column headings."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def _rank(cells: Mapping, tag: str) -> tuple[float, str]:
    value = cells.get((tag, "accuracy"), (None,))[0]
    return (value if value is not None else 2.0, tag)


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
        f"{_wrapped(label(m), 22)}<br><b>{pct(estimates[m].value)}</b> · n={estimates[m].n}"
        for m in shown
    ]
    values = [estimates[m].value for m in shown]
    lows = [estimates[m].low for m in shown]
    highs = [estimates[m].high for m in shown]
    error = _error(values, lows, highs)
    colours = []
    for m in shown:
        e, t = estimates[m], thresholds.get(m)
        met = t.met(e.value, e.low, e.high) if t else None
        colours.append(PRIMARY if met is None else (MEETS if met else MISSES))
    fig = _figure()
    fig.add_trace(
        go.Bar(
            name="value",
            x=ticks,
            y=values,
            error_y=error | {"color": INK},
            marker={"color": colours},
            customdata=[
                [MEANINGS.get(m, ""), pct(lo), pct(hi), estimates[m].n]
                for m, lo, hi in zip(shown, lows, highs, strict=True)
            ],
            hovertemplate=(
                "%{customdata[0]}<br>value %{y:.1%} (95% interval %{customdata[1]} to "
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
    _layout(fig, title, "bar: value · black whisker: 95% interval · orange line: the bar", 400)
    fig.update_layout(
        xaxis={"title": {"text": "n = the cases (or citations) each measure counts"}},
        yaxis=_percent_axis("Value"),
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
    fig = _figure()
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
    _layout(
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
