"""No page hands untrusted text to a Markdown-rendering call (issue 9, finding 7).

Parses every module under app/ and fails when a call to st.markdown, st.error, st.warning,
st.info, st.success, st.caption, st.toast or st.write (also as a method of a column, container
or expander: `left.markdown(...)`; and st.title, st.header, st.subheader, which render Markdown too) gets anything but a string literal or the inert renderer's
output. f-strings count as literals only if every value in them goes through the renderer.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
MARKDOWN_CALLS = {
    "markdown", "error", "warning", "info", "success", "caption", "toast", "write",
    "title", "header", "subheader",
}  # fmt: skip
LABELLED = {
    "expander", "tabs", "button", "checkbox", "toggle", "radio", "text_input", "text_area",
    "selectbox", "multiselect", "number_input", "download_button", "form_submit_button",
    "metric", "popover", "page_link", "select_slider", "slider", "date_input", "file_uploader",
    "link_button",
}  # fmt: skip
"""Widgets whose label (first argument) Streamlit renders as Markdown, links and images too."""
INERT = {
    "inert", "inert_md", "highlight_html", "escape_inert", "md", "document_html",
    "labelled_paragraphs",
}  # fmt: skip
"""Functions of pilot.core.inert (and app.ui's alias) whose output is inert."""
HTML_SOURCES = {"evidence_html", "ticket_script", "element_code_script", "hidden_style"}
"""The only HTML a page may hand to `st.html` or `components.html`, both made by the library:
the evidence report (`pilot.evidence.report.evidence_html`: every text escaped, scripts limited
by its own Content-Security-Policy; tests/pilot/test_evidence_html.py checks both) and the
sign-in ticket exchange (`pilot.core.web_sessions.ticket_script`: no text from data) and the
loader of Streamlit's chart and table code (`app.warmup.element_code_script`: file names from
Streamlit's own package, checked against a pattern; no text from data) and the style that hides
the chart it draws (`app.warmup.hidden_style`: a fixed container key, checked)."""


def _is_report_html(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) in (
        HTML_SOURCES
    )


def _is_inert_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in INERT


def safe(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int | float) or node.value is None
    if _is_inert_call(node):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(v, ast.Constant) or (isinstance(v, ast.FormattedValue) and safe(v.value))
            for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return safe(node.left) and safe(node.right)
    if isinstance(node, ast.IfExp):
        return safe(node.body) and safe(node.orelse)
    if isinstance(node, ast.List | ast.Tuple):  # st.tabs(["By tag", ...])
        return all(safe(e) for e in node.elts)
    if isinstance(node, ast.ListComp):  # st.tabs([inert(v) for v in views])
        return safe(node.elt)
    return False


def violations(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.IfExp):  # (st.success if ok else st.error)(text)
            picked = [node.func.body, node.func.orelse]
            chosen = [f.attr for f in picked if isinstance(f, ast.Attribute)]
            if set(chosen) & MARKDOWN_CALLS and not all(safe(a) for a in node.args):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:100]}")
            continue
        if not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "html":  # st.html / components.html render raw HTML
            if not node.args or not _is_report_html(node.args[0]):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:100]}")
            continue
        if node.func.attr in LABELLED and node.args and not safe(node.args[0]):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:100]}")
            continue
        if node.func.attr not in MARKDOWN_CALLS:
            continue
        # st.markdown / left.markdown / st.sidebar.markdown; not e.g. logger.info(...)
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id in {"logger", "logging", "log", "warnings"}:
            continue
        args = list(node.args) + [k.value for k in node.keywords if k.arg in {"body", "text"}]
        for arg in args:
            if not safe(arg):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:100]}")
                break
    return found


def test_the_check_catches_what_it_should() -> None:
    bad = [
        "st.markdown(name)",
        "st.error(str(exc))",
        "left.caption(f'saved by {who}')",
        "st.sidebar.warning('Killed: ' + reason)",
        "st.write(rows)",
        "st.toast(message)",
        "with st.expander(f'{title} · 2 citations'): pass",
        "(st.success if ok else st.error)(explain(row))",
        "st.html(page)",
        "st.tabs(names)",
        "st.tabs(['By tag', name])",
        "st.tabs([f'{v} cases' for v in views])",
        "components.html(f'<p>{name}</p>', height=300)",
        "st.html(inert(text))",
    ]
    good = [
        "st.markdown('**Workflow**')",
        "st.error(inert(str(exc)))",
        "left.caption(f'saved by {inert(who)}')",
        "st.markdown(highlight_html(text, []), unsafe_allow_html=True)",
        "logger.info(message)",
        "components.html(report.evidence_html(built), height=900)",
        "st.markdown(labelled_paragraphs(glossary.entries()))",
        "st.tabs(['By tag', 'Over time'])",
        "st.tabs([inert(v) for v in views], key='res_view')",
    ]
    assert all(violations(code, "x.py") for code in bad)
    assert not any(violations(code, "x.py") for code in good)


def test_no_page_renders_untrusted_text_as_markdown() -> None:
    found = [
        v
        for path in sorted(APP.rglob("*.py"))
        for v in violations(path.read_text(), str(path.relative_to(APP.parent)))
    ]
    assert found == [], "\n".join(found)


def test_pages_draw_charts_only_through_the_inert_choke_point() -> None:
    direct = [
        f"{path.relative_to(APP.parent)}:{node.lineno}"
        for path in sorted(APP.rglob("*.py"))
        if path.name != "ui.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "plotly_chart"
    ]
    assert direct == []


def test_plotly_labels_from_data_are_escaped() -> None:
    import plotly.graph_objects as go

    from pilot.results.inert_chart import inert_figure, original_label

    hostile = '<a href="http://attacker.example/">click</a>'
    fig = go.Figure(
        [
            go.Heatmap(z=[[0.5]], x=["accuracy"], y=[hostile], text=[[hostile]]),
            go.Scatter(x=["accuracy"], y=[hostile], customdata=[[hostile, 3]], name=hostile),
        ]
    )
    fig.update_layout(yaxis={"tickvals": [0], "ticktext": [hostile]})
    payload = inert_figure(fig).to_json()
    assert "<a href" not in payload and "\\u003ca href" not in payload
    assert payload.count("&lt;a href") == 6  # heatmap y and text, scatter y, customdata, name, tick
    assert original_label(fig.data[1].customdata[0][0]) == hostile


def test_a_labels_own_line_breaks_are_drawn_and_a_typed_break_tag_is_not() -> None:
    """The kit breaks a label's lines with a newline; the escaping draws it as a break, while a
    `<br>` or `<b>` that came with the data is shown as its characters."""
    import plotly.graph_objects as go

    from pilot.results.inert_chart import inert_figure, original_label

    fig = go.Figure(
        go.Heatmap(
            z=[[0.5, 0.7]],
            x=["Accuracy\nn=12", "tag <br> <b>x</b>"],
            y=["a\r\nb"],
            text=[["80%\nn=12", "<br>"]],
        )
    )
    trace = inert_figure(fig).data[0]
    assert list(trace.x) == ["Accuracy<br>n=12", "tag &lt;br&gt; &lt;b&gt;x&lt;/b&gt;"]
    assert list(trace.y) == ["a<br>b"]
    assert [list(row) for row in trace.text] == [["80%<br>n=12", "&lt;br&gt;"]]
    assert original_label(trace.x[1]) == "tag <br> <b>x</b>"
    assert original_label(trace.x[0]) == "Accuracy\nn=12"


def test_results_charts_draw_their_line_breaks() -> None:
    """Every label the Results charts break (heading, tick, cell) reaches Plotly as a `<br>`,
    none as an escaped `&lt;br&gt;` (which Plotly shows as the five characters)."""
    import polars as pl

    from metrics.estimate import Estimate
    from pilot.define.criteria import Criterion
    from pilot.results import charts
    from pilot.results.chart_style import Threshold
    from pilot.results.inert_chart import inert_figure
    from pilot.results.tag_heatmap import tag_heatmap

    estimates = {
        "accuracy": Estimate("accuracy", 0.8, 0.7, 0.9, 40),
        "citation_coverage": Estimate("citation_coverage", 0.9, 0.8, 0.95, 40),
    }
    bars = charts.metric_bars(
        estimates,
        {"accuracy": Threshold(Criterion(metric="accuracy", threshold=0.95), "bar v1")},
        list(estimates),
        "This run",
    )
    slices = pl.DataFrame(
        [
            {"tag": "hr", "metric": m, "value": e.value, "low": e.low, "high": e.high, "n": e.n}
            for m, e in estimates.items()
        ]
    )
    heat = tag_heatmap(slices, names=list(estimates))
    for fig in (bars, heat):
        payload = json.dumps(json.loads(inert_figure(fig).to_json()))  # Plotly's \u003c as <
        assert "<br>" in payload and "&lt;br&gt;" not in payload
    assert bars.data[0].x[0].startswith("Accuracy<br>80")
    assert heat.data[0].text[0][0] == "80%<br>n=40"
