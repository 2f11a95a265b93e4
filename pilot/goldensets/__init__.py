"""Step 3: golden sets, imported from JSONL, CSV or Parquet into content-hashed versions.

Tables owned: `goldensets`, `goldenset_versions`, `golden_cases`.

Public: `versions` (import, agree, the demo set; re-exports the rest), `stored` (reading stored
versions: list, resolve, load cases, case frames, hashes), `cases` (counts, filters, diffs,
evidence spans), `sizes` (a set's size per tag, for the bar's planner), `io` (validating a file:
every problem, the good cases one at a time), `readers` (JSONL, CSV and Parquet a line or row at
a time, from bytes or from disk), `report` (problems and `GoldenSetInvalid`), `staging` (good
cases staged on disk as canonical JSON, hashed and loaded by DuckDB) and `checks` (pydantic
`CaseRecord` and the rules across fields; every problem named with file, line and field).
Imports `pilot.core` and `pilot.define`.
"""
