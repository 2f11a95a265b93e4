"""The Readiness page's figures (Plotly, drawn by the page through `ui.chart`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilot.readiness.stages import STAGES

if TYPE_CHECKING:
    import plotly.graph_objects as go

MET, NOT_MET, CURRENT, RISK = "#2e7d32", "#9e9e9e", "#1565c0", "#c62828"


def ladder_figure(data: dict[str, Any]) -> go.Figure:
    """The four stages as steps; the current one filled (red when at risk), each gate's status
    on the step above it."""
    import plotly.graph_objects as go

    stage = data["stage"]
    colours, texts = [], []
    for s in range(4):
        if s == stage:
            colours.append(RISK if data["at_risk"] else CURRENT)
            texts.append("current" + (" · AT RISK" if data["at_risk"] else ""))
        elif s < stage:
            colours.append(MET)
            texts.append("passed")
        else:
            g = data["gates"][s - 1]
            colours.append(MET if g["met"] else NOT_MET)
            texts.append(f"gate {'met' if g['met'] else 'not met'}")
    fig = go.Figure(
        go.Bar(
            x=[f"{s} {STAGES[s]}" for s in range(4)],
            y=[s + 1 for s in range(4)],
            marker={"color": colours},
            text=texts,
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": "The autonomy ladder", "x": 0},
        yaxis={"visible": False, "range": [0, 5.2]},
        xaxis={"type": "category"},
        height=300,
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        showlegend=False,
    )
    return fig


def approval_figure(rows: list[dict[str, Any]], threshold: float) -> go.Figure:
    """Approval-without-edit rate per week with its 95% interval and the gate's threshold."""
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Scatter(
            x=[r["window"] for r in rows],
            y=[r["without_edit_rate"] for r in rows],
            error_y={
                "type": "data",
                "visible": True,
                "array": [r["high"] - r["without_edit_rate"] for r in rows],
                "arrayminus": [r["without_edit_rate"] - r["low"] for r in rows],
            },
            mode="markers+lines",
            customdata=[[r["decisions"]] for r in rows],
            hovertemplate="%{x}<br>%{y:.1%} approved without edit<br>n = %{customdata[0]}"
            "<extra></extra>",
        )  # fmt: skip
    )
    if rows:
        fig.add_hline(y=threshold, line={"color": RISK, "dash": "dash"},
                      annotation_text=f"gate: {threshold:.0%}")  # fmt: skip
    fig.update_layout(
        title={"text": "Approval without edit per week, with 95% intervals", "x": 0},
        yaxis={"range": [0, 1.05], "tickformat": ".0%"},
        xaxis={"type": "category", "title": {"text": "ISO week"}},
        height=340,
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig


def critical_counts(
    windows: list[dict[str, Any]], critical: list[dict[str, Any]]
) -> dict[str, int]:
    """Outputs graded critical per week (an output two graders called critical counts once),
    every graded week listed, weeks with none at 0."""
    counts = {w["window"]: 0 for w in windows}
    seen: set[tuple[str, str]] = set()
    for c in critical:
        if (c["window"], c["output_id"]) not in seen:
            seen.add((c["window"], c["output_id"]))
            counts[c["window"]] = counts.get(c["window"], 0) + 1
    return dict(sorted(counts.items()))


def critical_sentence(windows: list[dict[str, Any]], critical: list[dict[str, Any]]) -> str:
    """`critical_counts` in words, for a page that says it rather than charts it."""
    counts = critical_counts(windows, critical)
    if not counts:
        return "Critical errors graded per week: no week graded yet."
    hit = {week: n for week, n in counts.items() if n}
    if not hit:
        return f"Critical errors graded per week: none in any of the {len(counts)} graded weeks."
    weeks = "; ".join(f"{week}: {n}" for week, n in hit.items())
    return (
        f"Critical errors graded per week (the gates allow none): {weeks}; "
        f"none in the other {len(counts) - len(hit)} of {len(counts)} graded weeks."
    )


def critical_figure(windows: list[dict[str, Any]], critical: list[dict[str, Any]]) -> go.Figure:
    """Critical errors graded per week: any bar above zero blocks a gate and puts a stage at risk."""
    import plotly.graph_objects as go

    counts = critical_counts(windows, critical)
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=list(counts.values()),
            marker={"color": [RISK if n else MET for n in counts.values()]},
            hovertemplate="%{x}: %{y} output(s) graded critical<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": "Critical errors graded per week (the gates allow none)", "x": 0},
        yaxis={"rangemode": "tozero", "dtick": 1, "title": {"text": "outputs"}},
        xaxis={"type": "category", "title": {"text": "ISO week"}},
        height=300,
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
    )
    return fig
