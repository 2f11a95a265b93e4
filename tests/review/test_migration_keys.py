"""Migrations m016-m017 on a database that already holds live outputs (made before the key)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pilot.core.migrations import MIGRATIONS
from pilot.core.store import apply_migrations


def test_keys_and_stratum_counts_filled_in_for_stored_outputs(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute(
        "CREATE TABLE schema_migrations "
        "(id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for number, name, statements in MIGRATIONS:  # the schema as it was before m016
        if number < 16:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [number, name])
    con.execute(
        "INSERT INTO live_outputs SELECT 'o' || i, TIMESTAMP '2026-09-28', '2026-W40', 'q', "
        "'a', NULL, NULL, i % 5 = 0, 2, ['t'], 't', NULL, NULL, i % 2 = 0, 'old', now() "
        "FROM range(50) t(i)"
    )
    applied = apply_migrations(con)
    assert [n for n in applied if "review" in n] == [
        "review: the sampling key and per-stratum counts, kept at ingest",
        "review: live_outputs.id_key is never null",
    ]
    differ = con.execute(
        "SELECT count(*) FROM live_outputs WHERE id_key <> xor(hash(id, 0::BIGINT), hash(0::BIGINT))"
    ).fetchone()[0]
    assert differ == 0
    assert con.execute("SELECT * FROM live_strata ORDER BY ALL").fetchall() == [
        ("2026-W40", "t", 2, False, 40, 20),
        ("2026-W40", "t", 2, True, 10, 5),
    ]
    with pytest.raises(duckdb.ConstraintException):
        con.execute("UPDATE live_outputs SET id_key = NULL")
