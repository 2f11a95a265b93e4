"""The pilot's steps as a checklist: done / next / blocked, and by what.

Each step reads only its own tables, so the Home page works on a database at any stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from pilot.core.store import table_exists


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    status: str  # done | next | blocked | todo
    detail: str


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE") -> int:
    if not table_exists(con, table):
        return 0
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


Check = Callable[[duckdb.DuckDBPyConnection], tuple[bool, str]]


def _workflow(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    n = _count(con, "workflow_versions")
    return n > 0, f"{n} version(s) recorded" if n else "no workflow or data boundary yet"


def _bar(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    signed = _count(con, "bar_versions", "signed_by IS NOT NULL")
    drafts = _count(con, "bar_versions", "signed_by IS NULL")
    if signed:
        return True, f"{signed} signed version(s)"
    return False, f"{drafts} unsigned draft(s)" if drafts else "no acceptance bar drafted"


def _golden(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    n = _count(con, "goldenset_versions")
    return n > 0, f"{n} version(s) imported" if n else "no golden set imported"


def _runs(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    """Done only when the run of record passes the signed bar, not when any run finished."""
    from pilot.readiness.record import record_to_show

    n = _count(con, "runs", "status = 'finished'")
    if not n:
        return False, "no finished run"
    record = record_to_show(con)
    if record is None:
        return False, f"{n} finished run(s), none on the current golden set and signed bar"
    if record.passed:
        return True, f"run of record {record.run_id} passes the bar"
    criteria = [f for f in record.failing if " on " in f]
    other = [f for f in record.failing if " on " not in f]
    parts = [f"{len(criteria)} of {record.n_criteria} criteria fail ({', '.join(criteria)})"]
    parts += [f"{o} not met" for o in other]
    return False, f"needs work: {'; '.join(parts)} in run of record {record.run_id}"


def _review(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    n = _count(con, "grades")
    return n > 0, f"{n} grade(s) recorded" if n else "no live outputs graded yet"


def _readiness(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    """Done while the pilot holds a stage above 0 that is not at risk."""
    from pilot.readiness.decisions import monitoring

    if not table_exists(con, "stage_changes"):
        return False, "no autonomy stage approved yet"
    watch = monitoring(con)
    if watch["stage"] == 0:
        return False, "at stage 0 (evaluation): no autonomy stage approved yet"
    name = f"stage {watch['stage']} ({watch['stage_name']})"
    if watch["at_risk"]:
        return False, f"{name} AT RISK: " + "; ".join(watch["reasons"])
    return True, name


def _evidence(con: duckdb.DuckDBPyConnection) -> tuple[bool, str]:
    n = _count(con, "audit_events", "action = 'report.export'")
    return n > 0, f"{n} report(s) exported" if n else "no evidence report exported"


STEPS: tuple[tuple[str, Check, tuple[int, ...]], ...] = (
    ("Define the workflow and data boundary", _workflow, ()),
    ("Agree and sign the acceptance bar", _bar, (1,)),
    ("Import the golden set", _golden, (1,)),
    ("Run the golden set and judge it", _runs, (2, 3)),
    ("Review sampled live outputs", _review, (4,)),
    ("Earn the next autonomy stage", _readiness, (4,)),
    ("Export the evidence report", _evidence, (4,)),
)


def pilot_steps(con: duckdb.DuckDBPyConnection) -> list[Step]:
    done: dict[int, bool] = {}
    steps = []
    next_marked = False
    for number, (name, check, needs) in enumerate(STEPS, start=1):
        ok, detail = check(con)
        done[number] = ok
        missing = [n for n in needs if not done.get(n)]
        if ok:
            status = "done"
        elif missing:
            status = "blocked"
            detail += "; waiting for step " + ", ".join(str(n) for n in missing)
        elif not next_marked:
            status, next_marked = "next", True
        else:
            status = "todo"
        steps.append(Step(number, name, status, detail))
    return steps
