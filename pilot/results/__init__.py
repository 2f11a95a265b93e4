"""Results: what a run achieved, compared with another run, as the Results page shows it.

Tables owned: none; reads what `pilot.runs` recorded, through `pilot.runs.record`.

Public: `report` (what `pilot run --json` prints), `comparison` (run against run), `view` (what
the Results page shows), `charts` (Plotly figures with escaped labels).
"""
