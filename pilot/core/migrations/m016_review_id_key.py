"""Review: each live output's sampling key, computed once at ingest.

`id_key` is the part of DuckDB's `hash(id, seed)` that depends on the id alone: DuckDB combines
the hashes of its arguments as `mix(hash(id)) XOR hash(seed)`, so `hash(id, 0)` XOR `hash(0)`
is `mix(hash(id))`, and `xor(id_key, hash(seed::BIGINT))` equals `hash(id, seed::BIGINT)`. A draw
then costs one XOR per output instead of hashing every id's text (pilot.review.sampling; a test
checks the identity, so a DuckDB that hashes differently is caught). Nullable: a row without it
is keyed by the hash itself, the same value.
"""

from __future__ import annotations

NAME = "review: live_outputs.id_key, the sampling key kept at ingest"
STATEMENTS = [
    "ALTER TABLE live_outputs ADD COLUMN id_key UBIGINT",
    "UPDATE live_outputs SET id_key = xor(hash(id, 0::BIGINT), hash(0::BIGINT))",
]
