"""One self-contained HTML page: the summary first, then every section, the known limitations,
and how to check it. Nothing is fetched: Plotly's JavaScript is inline, a Content Security
Policy allows only the page's own two scripts (by hash) and no connection at all, and every text
from data goes through `esc` (HTML-escaped, `://` written as an entity so no URL text appears).
The evidence travels inside as JSON (`<script type="application/json">`, `<`, `>` and `/`
escaped, so no text in it can close the block)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import lru_cache
from typing import Any

from pilot.evidence.model import SECTIONS, Evidence, Figure, canonical
from pilot.results.humane import utc_minute

INIT = """(function () {
  var blocks = document.querySelectorAll('script[type="application/json"][data-chart]');
  var drawn = Array.prototype.map.call(blocks, function (el) {
    var fig = JSON.parse(el.textContent);
    return Plotly.newPlot(document.getElementById(el.getAttribute('data-chart')), fig.data,
      fig.layout, {displayModeBar: false, responsive: true});
  });
  Promise.all(drawn).then(function () { document.body.setAttribute('data-charts-ready', '1'); });
})();"""

STYLE = """
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
       max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22pt; margin: 0 0 8px; } h2 { font-size: 15pt; margin: 28px 0 8px;
  border-bottom: 2px solid #1f4e79; padding-bottom: 4px; }
.verdict { font-size: 16pt; font-weight: 700; padding: 12px 16px; border-radius: 6px; }
.ready { background: #e8f5e9; color: #1b5e20; } .not-ready { background: #fdecea; color: #8e0000; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 8px 0 16px; }
th, td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #f0f3f7; } tr { break-inside: avoid; }
td.s-pass, td.s-met { color: #1b5e20; font-weight: 600; }
td.s-fail, td.s-not-met, td.s-at-risk { color: #8e0000; font-weight: 600; }
.prov { color: #555; font-size: 8.5pt; word-break: break-all; }
.chart { width: 100%; height: 330px; break-inside: avoid; } .muted { color: #555; }
code { word-break: break-all; }
.page { break-after: page; } @page { size: A4; margin: 14mm; }
@media print { body { max-width: none; padding: 0; } }
"""


def esc(value: Any) -> str:
    """Text from data, as inert HTML: escaped, and no `://` (so nothing reads as a link)."""
    return html.escape(str(value), quote=True).replace("://", ":&#47;&#47;")


def json_block(text: str) -> str:
    """JSON safe inside `<script type="application/json">`: nothing in it can end the block."""
    return text.replace("/", "\\/").replace("<", "\\u003c").replace(">", "\\u003e")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """Plotly's bundle, with `://` in its strings written `:\\/\\/` (the same string to
    JavaScript) so the file names no URL; map tiles and fonts it could fetch are never used."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs().replace("://", ":\\/\\/")
    return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


def csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def policy() -> str:
    return ("default-src 'none'; script-src " + csp_hash(plotly_js()) + " " + csp_hash(INIT)
            + "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
            "connect-src 'none'; base-uri 'none'; form-action 'none'")  # fmt: skip


def fmt(value: Any, unit: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float | int) and unit == "percent":
        return f"{value:.1%}"
    if isinstance(value, float | int) and unit == "ms":
        return f"{value:,.0f} ms"
    if isinstance(value, float | int) and unit == "usd":
        return f"${value:,.4f}"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def provenance(f: Figure) -> str:
    p = f.provenance
    parts = [f"run {p.run_id}" if p.run_id else "",
             f"golden set {p.goldenset_version[:12]}" if p.goldenset_version else "",
             f"bar v{p.bar_version}" if p.bar_version is not None else "",
             f"bar hash {p.bar_hash[:12]}" if p.bar_hash else "",
             f"config {p.config_version[:12]}" if p.config_version else "",
             f"window {p.window}" if p.window else "",
             f"audit ≤ {p.audit_through}" if p.audit_through else "", p.source]  # fmt: skip
    return " · ".join(x for x in parts if x)


def figure_row(f: Figure) -> str:
    interval = (f"{fmt(f.low, f.unit)} – {fmt(f.high, f.unit)}"
                if f.low is not None or f.high is not None else "")  # fmt: skip
    status = (f.status or "").replace(" ", "-")
    cells = [esc(f.label), esc(fmt(f.value, f.unit)), esc(interval),
             esc("" if f.n is None else f"{f.n:,}"), esc(fmt(f.threshold, f.unit)
             if f.threshold is not None else ""), esc(f.status or "")]  # fmt: skip
    note = f'<div class="muted">{esc(f.note)}</div>' if f.note else ""
    middle = "".join(f"<td>{c}</td>" for c in cells[1:5])
    return (f"<tr><td>{cells[0]}{note}</td>{middle}"
            f'<td class="s-{esc(status)}">{cells[5]}</td>'
            f'<td class="prov">{esc(provenance(f))}</td></tr>')  # fmt: skip


def figure_table(figures: list[Figure]) -> str:
    head = "".join(f"<th>{h}</th>" for h in
                   ("Figure", "Value", "95% interval", "n", "Threshold", "Status", "Provenance"))  # fmt: skip
    rows = "".join(figure_row(f) for f in figures)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def summary_page(ev: Evidence, sha: str) -> str:
    s, by = ev.summary, ev.by_key()
    reasons = (
        "".join(f"<li>{esc(r)}</li>" for r in s.reasons) or "<li>Every requirement is met.</li>"
    )
    facts = [("Workflow", by.get("workflow/name")), ("Process owner", by.get("workflow/process_owner")),
             ("Accountable lead", by.get("workflow/accountable_lead"))]  # fmt: skip
    rows = [(label, fmt(f.value) if f else "not recorded") for label, f in facts]
    record = [f for f in ev.section("run") if f.key.endswith("/verdict")]
    if record:
        r = record[0]
        rows.append(("Run of record", f"{r.provenance.run_id}: {r.value} (bar v"
                     f"{r.provenance.bar_version}, golden set {r.provenance.goldenset_version})"))  # fmt: skip
    anchor = by.get("audit/anchor")
    rows += [("Audit chain", fmt(by["audit/chain"].value) + f" (anchor {fmt(anchor.value)})"
              if anchor else "not verified"),
             ("Live windows covered", ", ".join(ev.scope.windows) if ev.scope.windows else "all"),
             ("Generated", f"{utc_minute(ev.scope.generated_at)} by {ev.scope.generated_by}"),
             ("Evidence SHA-256", sha)]  # fmt: skip
    table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    klass = "ready" if s.ready else "not-ready"
    return (f'<section id="summary" class="page"><h1>Evidence report: is it ready?</h1>'
            f'<p class="verdict {klass}">{esc(s.headline)}</p><h2>Why</h2><ul>{reasons}</ul>'
            f"<table>{table}</table></section>")  # fmt: skip


def render_html(evidence: Evidence, sha: str, mac: str | None, key_id: str | None) -> str:
    from pilot.evidence.charts import report_charts

    charts = report_charts(evidence)
    body = [summary_page(evidence, sha)]
    toc = "".join(f'<li><a href="#{k}">{esc(t)}</a></li>' for k, t in SECTIONS.items()
                  if k != "summary")  # fmt: skip
    body.append(f'<nav><h2>Contents</h2><ol>{toc}<li><a href="#limitations">Known limitations'
                f'</a></li><li><a href="#verify">How to check this report</a></li></ol></nav>')  # fmt: skip
    blocks = []
    for name, title in SECTIONS.items():
        if name == "summary":
            continue
        figures = evidence.section(name)
        chart = ""
        if name in charts:
            div = f"chart-{name}"
            chart = f'<div class="chart" id="{div}"></div>'
            spec = json.dumps(json.loads(charts[name].to_json()), sort_keys=True)
            blocks.append(f'<script type="application/json" data-chart="{div}">'
                          f"{json_block(spec)}</script>")  # fmt: skip
        table = figure_table(figures) if figures else '<p class="muted">Nothing recorded.</p>'
        body.append(f'<section id="{name}"><h2>{esc(title)}</h2>{chart}{table}</section>')
    limits = "".join(f"<li>{esc(x)}</li>" for x in evidence.limitations)
    body.append(f'<section id="limitations"><h2>Known limitations</h2><ul>{limits}</ul></section>')
    body.append(
        '<section id="verify"><h2>How to check this report</h2><p>The figures above are held in '
        "this file as JSON. Its SHA-256 is <code>" + esc(sha) + "</code>; the pilot key "
        + (f"(id <code>{esc(key_id)}</code>) signed it: HMAC-SHA256 <code>{esc(mac)}</code>."
           if mac else "was not available, so it is not signed.")
        + " Run <code>pilot replay THIS-FILE</code> against the pilot's database: it checks the "
        "hash and signature and recomputes every figure from the stored rows.</p></section>"
    )  # fmt: skip
    title = by_title(evidence)
    meta = (f'<meta name="pilot-evidence-sha256" content="{esc(sha)}">'
            f'<meta name="pilot-evidence-hmac" content="{esc(mac or "")}">'
            f'<meta name="pilot-key-id" content="{esc(key_id or "")}">')  # fmt: skip
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy()}">'
        f'<meta name="referrer" content="no-referrer">{meta}<title>{esc(title)}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(body)}"
        f'<script type="application/json" id="pilot-evidence">{canonical(evidence)}'
        f"</script>{''.join(blocks)}<script>{plotly_js()}</script><script>{INIT}</script>"
        "</body></html>\n"
    )


def by_title(evidence: Evidence) -> str:
    name = evidence.by_key().get("workflow/name")
    return f"Evidence report · {name.value if name else 'pilot'} · {utc_minute(evidence.scope.generated_at)}"
