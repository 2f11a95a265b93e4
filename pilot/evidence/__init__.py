"""Step 7: the evidence report a risk committee reads without the tool, and its replay.

Tables owned: none. Files: `<db>.evidence/` (0700), one HTML (and its PDF) per generation,
named by the audit event that recorded it (`report.generate`, with the evidence's SHA-256).

Public: `gather.default_scope` / `gather.gather` (every figure, computed by the step that owns
it, each with its provenance: run id, golden-set version, bar and config hashes, window, audit
event), `model` (the typed `Evidence`, its canonical JSON and digest), `render.render_html`
(one self-contained page: Plotly embedded, a strict CSP, every text escaped), `pdf.to_pdf`
(Debian's chromium through Playwright), `report.generate` / `report.latest` /
`report.replay`. May import every earlier step; only `pilot.cli` and `app` import it.
"""
