"""Step 5's evidence per autonomy stage, for readiness's gates and scorecard: graded outputs and
approvals per ISO week at a stage, consequential outputs without a decision, graders' citation
verdicts. Readiness calls these instead of querying step 5's tables."""

from __future__ import annotations

import duckdb

from pilot.core.store import table_exists

_GRADED = """
SELECT o.week, cg.output_id, bool_and(cg.verdict = 'correct') AS correct,
       bool_or(cg.severity = 'critical') AS critical
FROM current_grades cg JOIN live_outputs o ON o.id = cg.output_id
WHERE o.stage = ? GROUP BY ALL
"""


def graded_at_stage(con: duckdb.DuckDBPyConnection, stage: int) -> list[tuple[str, int, int, int]]:
    """(week, graded, correct, critical) per ISO week for outputs recorded at `stage`; an output
    counts correct only when every current grade on it says correct."""
    if not table_exists(con, "grades"):
        return []
    return con.execute(
        f"SELECT week, count(*), count(*) FILTER (WHERE correct), "
        f"count(*) FILTER (WHERE critical) FROM ({_GRADED}) GROUP BY 1 ORDER BY 1",
        [stage],
    ).fetchall()


def approvals_at_stage(con: duckdb.DuckDBPyConnection, stage: int) -> list[tuple[str, int, int]]:
    """(week, decisions, approved without edit) per ISO week for outputs recorded at `stage`."""
    if not table_exists(con, "approvals"):
        return []
    return con.execute(
        "SELECT a.week, count(*), count(*) FILTER (WHERE a.decision = 'approved') "
        "FROM approvals a WHERE a.output_id IN (SELECT id FROM live_outputs WHERE stage = ?) "
        "GROUP BY 1 ORDER BY 1",
        [stage],
    ).fetchall()


def consequential_decided(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """(consequential outputs recorded at stages 2 and 3, how many have a recorded approval
    decision); None before any live output table exists."""
    if not table_exists(con, "live_outputs"):
        return None
    total, decided = con.execute(
        "SELECT count(*), count(a.output_id) FROM live_outputs o "
        "LEFT JOIN approvals a ON a.output_id = o.id WHERE o.consequential AND o.stage IN (2, 3)"
    ).fetchone()
    return int(total), int(decided)


def citation_support(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(live outputs graders judged on their citations, how many found supporting)."""
    if not table_exists(con, "grades"):
        return 0, 0
    n, supported = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE citations_support) FROM current_grades "
        "WHERE citations_support IS NOT NULL"
    ).fetchone()
    return int(n), int(supported)
