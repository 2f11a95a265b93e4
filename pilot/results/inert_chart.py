"""Plotly figures with every data label escaped: the one choke point before a chart is drawn.

Plotly renders a subset of HTML in labels (tick labels, text, hover text, anything a hover
template substitutes), including `<a href>`, so a golden-set tag `<a href="http://…">` became a
clickable link in the heatmap. `inert_figure` escapes `&`, `<` and `>` in every string of every
trace's data and in axis tick text (Plotly shows the entities as the characters); the figure's
own titles and templates, written here, keep their markup. The app draws every chart through
`app.ui.chart`, which calls it (a test checks no page calls `st.plotly_chart` directly).

A data label breaks its lines with `LINE_BREAK` ("\n"), never with `<br>`: the escaping would
show a `<br>` as its five characters, so `inert_figure` turns each newline into `<br>` after
escaping, and a label's only markup is a line break the kit asked for. Emphasis is not markup a
data label can carry.
"""

from __future__ import annotations

import html
from typing import Any

DATA_PROPERTIES = ("x", "y", "z", "text", "hovertext", "customdata", "labels", "name", "ids")
LINE_BREAK = "\n"
"""How a data label (tick, cell text, hover value) breaks a line."""


def escape_label(value: Any) -> Any:
    """Strings escaped, containers walked, everything else as it was."""
    if isinstance(value, str):
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return escaped.replace("\r", "").replace(LINE_BREAK, "<br>")
    if isinstance(value, (list, tuple)):
        return type(value)(escape_label(v) for v in value)
    if hasattr(value, "tolist") and getattr(value, "dtype", None) is not None:
        if value.dtype.kind in "OUS":
            return [escape_label(v) for v in value.tolist()]
        return value
    return value


def original_label(value: str) -> str:
    """A label read back from a chart event (a clicked tag) as the data's own text."""
    return html.unescape(value.replace("<br>", LINE_BREAK))


def inert_figure(fig: Any) -> Any:
    """`fig` with every data string escaped, in place, and returned."""
    for trace in fig.data:
        for prop in DATA_PROPERTIES:
            if prop in trace and trace[prop] is not None:
                trace[prop] = escape_label(trace[prop])
    for axis in ("xaxis", "yaxis"):
        layout_axis = getattr(fig.layout, axis, None)
        if layout_axis is not None and layout_axis.ticktext is not None:
            layout_axis.ticktext = escape_label(list(layout_axis.ticktext))
    return fig
