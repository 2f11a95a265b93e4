"""Review: each live output's sampling key, computed once at ingest.

`id_key` is the part of DuckDB's `hash(id, seed)` that depends on the id alone: DuckDB combines
the hashes of its arguments as `mix(hash(id)) XOR hash(seed)`, so `hash(id, 0)` XOR `hash(0)`
is `mix(hash(id))`, and `xor(id_key, hash(seed::BIGINT))` equals `hash(id, seed::BIGINT)`. A draw
then costs one XOR per output instead of hashing every id's text (pilot.review.sampling; a test
checks the identity, so a DuckDB that hashes differently is caught).

`live_strata` counts outputs per week and stratum (first tag, stage, consequential), kept at
ingest like `live_weeks`, so a draw allocates its sample without counting the week's rows.
"""

from __future__ import annotations

NAME = "review: the sampling key and per-stratum counts, kept at ingest"
STATEMENTS = [
    "ALTER TABLE live_outputs ADD COLUMN id_key UBIGINT",
    "UPDATE live_outputs SET id_key = xor(hash(id, 0::BIGINT), hash(0::BIGINT))",
    """CREATE TABLE live_strata (
                week VARCHAR NOT NULL,
                stratum_tag VARCHAR NOT NULL,
                stage INTEGER NOT NULL,
                consequential BOOLEAN NOT NULL,
                outputs BIGINT NOT NULL,
                simulated BIGINT NOT NULL,
                PRIMARY KEY (week, stratum_tag, stage, consequential)
            )""",
    """INSERT INTO live_strata
            SELECT week, stratum_tag, stage, consequential, count(*), count(*) FILTER (WHERE simulated)
            FROM live_outputs GROUP BY ALL""",
]
