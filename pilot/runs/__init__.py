"""Step 4: running a golden set against a system and scoring it against the bar.

Tables owned: `system_configs`, `runs`, `results`, `response_cache`, `run_batches`, `judgements`.

Public: `start` (prepare, start or resume a run; list runs), `execute` (the asyncio runner and its
writer), `batch` (Message Batches), `edge` (the boundary applied to each outbound request),
`configs` (content-hashed system configs), `systems` (offline, anthropic, callable), `judging`
(the LLM judge), `scoring` (correctness and verdict at the end of a run), `record` (a run's rows
as the frames `metrics` reads), `export`, `manifest`, `jobs` (runs in the app's background).
Imports `pilot.core`, `pilot.define`, `pilot.goldensets` and `metrics`; never `pilot.results`.
"""
