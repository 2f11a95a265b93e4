"""Join keys: 128-bit hashes of string ids, so the metrics join and group on integers.

On this project's two-core machines polars joins and groups a million string ids two to three
times slower than integers, and metrics do little else. A key is two independently seeded 64-bit
hashes side by side; two different ids share one with probability about 2⁻¹²⁸ per pair (around
10⁻²⁶ for a run of a million cases), far below any other source of error, so a key match is
treated as an id match. Keys live only inside one computation: polars does not promise the same
hash across versions, so a key is never stored.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

CASE = "_case"
SOURCE = "_source"


def key(columns: Sequence[str]) -> pl.Expr:
    """The 128-bit key of the values in `columns` (null if any of them is null)."""
    low = pl.lit(0, pl.UInt64)
    high = pl.lit(0, pl.UInt64)
    for i, column in enumerate(columns):
        low = low ^ pl.col(column).hash(seed=2 * i + 1)
        high = high ^ pl.col(column).hash(seed=2 * i + 2)
    present = pl.all_horizontal([pl.col(c).is_not_null() for c in columns])
    return pl.when(present).then(high.cast(pl.UInt128) * (2**64) + low.cast(pl.UInt128))


def case_key() -> pl.Expr:
    return key(["case_id"]).alias(CASE)


def source_key() -> pl.Expr:
    return key(["case_id", "source_id"]).alias(SOURCE)


def among(cases: pl.LazyFrame) -> pl.Expr:
    """True for rows whose `_case` key is one of `cases`' keys (collected here): a hash-set
    probe, several times cheaper than joining a flag onto every results row."""
    keys = cases.select(CASE).collect(engine="streaming").to_series()
    return pl.col(CASE).is_in(keys.implode()).fill_null(False)
