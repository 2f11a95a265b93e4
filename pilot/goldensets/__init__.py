"""Step 3: golden sets, imported from JSONL, CSV or Parquet into content-hashed versions.

Tables owned: `goldensets`, `goldenset_versions`, `golden_cases`.

Public: `versions` (import, list, diff, agree, load cases), `io` (reading and validating files,
every problem named with file, line and field). Imports `pilot.core` and `pilot.define`.
"""
