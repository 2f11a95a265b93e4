"""Step 6: is the pilot ready, for which stage, and why not.

Tables owned (migration m010): `run_of_record` (a lead's pin per golden-set and bar version),
`stage_changes` (promotions, demotions, rollbacks with their evidence and its SHA-256); the
`gate_settings` setting. Files: `<db>.stage` (0600, rewritten atomically on every stage change;
read by the guard).

Public: `record.run_of_record` / `pin_run` (the run Home, Results, Readiness and the report speak
for), `ladder` (the gates 0→1, 1→2, 2→3, each requirement with value, interval, threshold,
status and what is missing; judged by `Criterion.passes`, planned by `metrics.planner`),
`settings` (gate settings, defaults in one place, versioned), `decisions.promote` / `demote` /
`rollback` / `monitoring` (at risk), `scorecard` (the trust-gap checklist), `status.readiness`
(everything `pilot readiness --json` prints), `home_truth` / `home_view` (Home) and
`risk_banner` (every page),
`marks` (the Runs page's marks: run of record, configs rolled back), `guard.guard` (stdlib only;
exported lazily as `pilot.guard`), `api.get_guard` (`GET /api/v1/guard`), `charts`, `steps`
(the checklist for Home). Imports `pilot.core`, `pilot.define`, `pilot.goldensets`, `pilot.runs`, `pilot.review` and
`metrics`, reading their tables only through their functions.
"""
