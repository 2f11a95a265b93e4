"""Step 1 and 2: the workflow with its data boundary, and the acceptance bar it is judged against.

Tables owned: `workflow_versions`, `bar_versions`, `boundary_checks` (m018: leak checks).

Public: `workflow` (versioned workflow and boundary), `redaction` (applying the boundary to a
case), `leak_check` (the boundary's leak check, recorded and audited), `bars` (drafts, signing,
the criterion rule), `verdicts` (judging a run's frames against a bar), `planner` (how many cases
a criterion needs). Imports only `pilot.core` and `metrics`.
"""
