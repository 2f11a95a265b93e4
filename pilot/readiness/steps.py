"""The pilot's steps as a checklist: done / next / blocked, and by what.

Each step reads only its own tables, so the Home page works on a database at any stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import duckdb

from pilot.core.store import table_exists
from pilot.results.humane import plural

if TYPE_CHECKING:
    from pilot.readiness.record import RunOfRecord


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    status: str  # done | next | blocked | todo
    detail: str


class Known:
    """What several checks (and Home's verdict) ask of one read: each read once, when first
    asked, then shared."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    @cached_property
    def watch(self) -> dict[str, Any]:
        from pilot.readiness.decisions import monitoring

        return monitoring(self.con)

    @cached_property
    def record(self) -> RunOfRecord | None:
        from pilot.readiness.record import record_to_show

        return record_to_show(self.con)


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str = "TRUE") -> int:
    if not table_exists(con, table):
        return 0
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


Check = Callable[[duckdb.DuckDBPyConnection, Known], tuple[bool, str]]


def _workflow(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    n = _count(con, "workflow_versions")
    return n > 0, f"{plural(n, 'version')} recorded" if n else "no workflow or data boundary yet"


def _bar(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    signed = _count(con, "bar_versions", "signed_by IS NOT NULL")
    drafts = _count(con, "bar_versions", "signed_by IS NULL")
    if signed:
        return True, f"{plural(signed, 'signed version')}"
    return False, f"{plural(drafts, 'unsigned draft')}" if drafts else "no acceptance bar drafted"


def _golden(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    n = _count(con, "goldenset_versions")
    return n > 0, f"{plural(n, 'version')} imported" if n else "no golden set imported"


def _runs(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    """Done only when the run of record passes the signed bar, not when any run finished."""
    n = _count(con, "runs", "status = 'finished'")
    if not n:
        return False, "no finished run"
    record = known.record
    if record is None:
        return False, f"{plural(n, 'finished run')}, none on the current golden set and signed bar"
    if record.passed:
        return True, f"run of record {record.run_id} passes the bar"
    criteria = [f for f in record.failing if " on " in f]
    other = [f for f in record.failing if " on " not in f]
    parts = [f"{len(criteria)} of {record.n_criteria} criteria fail ({', '.join(criteria)})"]
    parts += [f"{o} not met" for o in other]
    return False, f"needs work: {'; '.join(parts)} in run of record {record.run_id}"


def _review(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    n = _count(con, "grades")
    return n > 0, f"{plural(n, 'grade')} recorded" if n else "no live outputs graded yet"


def _readiness(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    """Done while the pilot holds a stage above 0 that is not at risk."""
    if not table_exists(con, "stage_changes"):
        return False, "no autonomy stage approved yet"
    watch = known.watch
    if watch["stage"] == 0:
        return False, "at stage 0 (evaluation): no autonomy stage approved yet"
    name = f"stage {watch['stage']} ({watch['stage_name']})"
    if watch["at_risk"]:
        return False, f"{name} AT RISK: " + "; ".join(watch["reasons"])
    return True, name


def _evidence(con: duckdb.DuckDBPyConnection, known: Known) -> tuple[bool, str]:
    n = _count(con, "audit_events", "action = 'report.export'")
    return n > 0, f"{plural(n, 'report')} exported" if n else "no evidence report exported"


STEPS: tuple[tuple[str, Check, tuple[int, ...]], ...] = (
    ("Define the workflow and data boundary", _workflow, ()),
    ("Agree and sign the acceptance bar", _bar, (1,)),
    ("Import the golden set", _golden, (1,)),
    ("Run the golden set and judge it", _runs, (2, 3)),
    ("Review sampled live outputs", _review, (4,)),
    ("Earn the next autonomy stage", _readiness, (4,)),
    ("Export the evidence report", _evidence, (4,)),
)


def pilot_steps(con: duckdb.DuckDBPyConnection, known: Known | None = None) -> list[Step]:
    """The checklist; `known` shares reads with a caller that asks the same questions."""
    known = known or Known(con)
    done: dict[int, bool] = {}
    steps = []
    next_marked = False
    for number, (name, check, needs) in enumerate(STEPS, start=1):
        ok, detail = check(con, known)
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
