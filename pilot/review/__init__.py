"""Step 5: live outputs recorded from production, sampled, graded blind, approved, agreed on.

Tables owned (migration m009): `live_outputs` (no index on id: ingest keeps ids unique),
`live_weeks` (outputs per ISO week, kept at ingest), `live_strata` (per week and stratum,
migration m016), `approvals`, `samples`, `sample_items`,
`assignments`, `grades` (append-only) and the view `current_grades`.

Public: `spool.record_output` (stdlib only: production never waits on the database; exported
lazily as `pilot.record_output`), `ingest.ingest` (spool, JSONL, CSV, Parquet through DuckDB's
readers; idempotent by id, atomic per file), `sampling.draw` (seeded, stratified, stored),
`queue.next_item` / `queue.blind_item` / `queue.progress` (the blind grading queue),
`grades.grade` / `grades.import_grades` (append-only grades), `approvals.record_approval`,
`dashboard.status` (progress, live accuracy, critical errors, agreement, approvals),
`promote.add_to_goldenset` (a graded live output into a new golden-set version),
`simulate.seed_demo_review` (the demo's simulated outputs, grades and approvals),
`api.post_outputs` (`POST /api/v1/outputs`, served by app/server.py), `stage_evidence`
(graded outputs and approvals per stage and week, consequential outputs decided, citation
verdicts: what readiness reads).
Imports `pilot.core`, `pilot.define`, `pilot.goldensets` and `metrics`.
"""
