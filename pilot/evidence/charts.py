"""The report's charts, drawn from the evidence's own figures (never recomputed here), every
data label escaped by the one choke point (`results.inert_chart.inert_figure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilot.evidence.model import Evidence, Figure
from pilot.results.chart_style import BAR_LINE, MEETS, MISSES

if TYPE_CHECKING:
    import plotly.graph_objects as go


def interval_chart(figures: list[Figure], title: str) -> go.Figure | None:
    """Each figure a point with its 95% interval; its threshold as a dash."""
    import plotly.graph_objects as go

    from pilot.results.inert_chart import inert_figure

    shown = [f for f in figures if isinstance(f.value, int | float) and f.unit == "percent"]
    if not shown:
        return None
    x = [f.label for f in shown]
    y = [float(f.value) for f in shown]
    plus = [(f.high - float(f.value)) if f.high is not None else 0 for f in shown]
    minus = [(float(f.value) - f.low) if f.low is not None else 0 for f in shown]
    colours = [MISSES if f.status in {"fail", "not met"} else MEETS for f in shown]
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            marker={"size": 11, "color": colours},
            error_y={
                "type": "data",
                "array": plus,
                "arrayminus": minus,
                "visible": True,
                "color": "#555",
            },
            name="value and 95% interval",
        )  # fmt: skip
    )
    thresholds = [f.threshold for f in shown]
    if any(t is not None for t in thresholds):
        fig.add_trace(go.Scatter(x=x, y=thresholds, mode="markers", name="threshold",
                                 marker={"symbol": "line-ew-open", "size": 30,
                                         "color": BAR_LINE, "line": {"width": 2}}))  # fmt: skip
    fig.update_layout(title=title, height=330, margin={"l": 50, "r": 20, "t": 50, "b": 90},
                      yaxis={"tickformat": ".0%", "rangemode": "tozero"},
                      showlegend=True, legend={"orientation": "h", "y": -0.35},
                      paper_bgcolor="white", plot_bgcolor="white")  # fmt: skip
    return inert_figure(fig)


def report_charts(evidence: Evidence) -> dict[str, go.Figure]:
    """Section name → chart, for the sections that have one."""
    found: dict[str, go.Figure | None] = {}
    record = [f for f in evidence.section("run") if "/criterion/" in f.key]
    first = record[0].provenance.run_id if record else None
    found["run"] = interval_chart([f for f in record if f.provenance.run_id == first],
                                  f"Run of record {first}: criteria against the bar")  # fmt: skip
    found["live"] = interval_chart(
        [f for f in evidence.section("live") if f.key.endswith("/accuracy")],
        "Live accuracy by window, against the bar",
    )
    found["decisions"] = interval_chart(
        [f for f in evidence.section("decisions") if f.key.startswith("decisions/approvals/")],
        "Approved without edit, by window",
    )
    return {k: v for k, v in found.items() if v is not None}
