"""Step 4: running a golden set against a system and scoring it against the bar.

Tables owned: `system_configs`, `runs`, `results`, `response_cache`, `run_batches`, `judgements`,
`registered_systems`, `run_leases`.

Public: `start` (prepare, start or resume a run; list runs), `register` (a run on record: create,
status changes), `context` (RunOptions, Progress, RunOutcome, RunContext), `execute` (the asyncio
loop), `writer` (the one writer), `rows` (the typed result row and its Arrow schema), `cache` (the
response cache), `batch` (Message Batches), `edge` (the boundary applied to each outbound request),
`run` (typed records: RunStatus, RunManifest, RunSummary, RunRecord), `configs`
(content-hashed system configs), `systems` (registry, connection settings; offline, anthropic,
callable), `judging`
(the LLM judge), `scoring` (correctness and verdict at the end of a run), `finish` (storing and
auditing them), `run_bar` (a run's bar and match rule, without polars), `score_memo` (reusing an
identical run's scores), `record` (a run's rows
as the frames `metrics` reads), `export`, `manifest`, `jobs` (runs in the app's background), `lookup` (one run's facts and the
newest finished run, for later steps).
Imports `pilot.core`, `pilot.define`, `pilot.goldensets` and `metrics`; never `pilot.results`.
"""
