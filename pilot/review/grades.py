"""Grades: append-only. A change is a new revision with its reason; `current_grades` is the view
of each evaluator's latest revision per output. `import_grades` loads grades made elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, find_actor, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.goldensets.io import Problem
from pilot.review.queue import WRITES

VERDICTS = ("correct", "partly", "incorrect")
VERDICT_LABELS = {"correct": "Correct", "partly": "Partly correct", "incorrect": "Incorrect"}
SEVERITIES = ("none", "minor", "major", "critical")
MAX_NOTE = 4000


@dataclass(frozen=True)
class Grade:
    output_id: str
    evaluator: str
    revision: int
    verdict: str
    citations_support: bool | None
    severity: str
    note: str
    reason: str | None
    graded_at: str
    origin: str


def check(verdict: str, severity: str, note: str) -> None:
    if verdict not in VERDICTS:
        raise InputError(f"verdict {verdict!r}: use {', '.join(VERDICTS)}")
    if severity not in SEVERITIES:
        raise InputError(f"severity {severity!r}: use {', '.join(SEVERITIES)}")
    if verdict == "correct" and severity != "none":
        raise InputError("a correct answer has no error: severity must be none")
    if len(note) > MAX_NOTE:
        raise InputError(f"note is {len(note)} characters; keep it under {MAX_NOTE}")


def _append(
    con: duckdb.DuckDBPyConnection,
    actor: Actor,
    evaluator: str,
    output_id: str,
    values: dict[str, Any],
    origin: str,
) -> Grade | None:
    current = con.execute(
        "SELECT revision, verdict, citations_support, severity, note FROM current_grades "
        "WHERE output_id = ? AND evaluator = ?",
        [output_id, evaluator],
    ).fetchone()
    same = (values["verdict"], values["citations_support"], values["severity"], values["note"])
    if current and tuple(current[1:]) == same:
        return None  # nothing changed: no new row
    if current and not (values.get("reason") or "").strip():
        raise InputError(f"{output_id} is already graded by {evaluator}: a change needs its reason")
    grade = Grade(
        output_id, evaluator, (current[0] + 1) if current else 1, *same,
        values.get("reason") or None, values.get("graded_at") or audit.utc_now(), origin,
    )  # fmt: skip
    con.execute(
        "INSERT INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [grade.output_id, grade.evaluator, grade.revision, grade.verdict,
         grade.citations_support, grade.severity, grade.note, grade.reason, grade.graded_at,
         grade.origin],
    )  # fmt: skip
    audit.record(
        con, actor.name, actor.role, "grade.add" if grade.revision == 1 else "grade.change",
        f"live_output:{output_id}",
        {"evaluator": evaluator, "revision": grade.revision, "verdict": grade.verdict,
         "severity": grade.severity, "reason": grade.reason, "origin": origin},
    )  # fmt: skip
    return grade


def grade(
    store: Store,
    evaluator: str | None,
    output_id: str,
    verdict: str,
    severity: str,
    *,
    citations_support: bool | None = None,
    note: str = "",
    reason: str | None = None,
) -> Grade | None:
    """Record the evaluator's grade of an item in their queue (a new revision if it changes)."""
    check(verdict, severity, note)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> Grade | None:
        if not con.execute(
            "SELECT 1 FROM assignments WHERE output_id = ? AND evaluator = ?",
            [output_id, actor.name],
        ).fetchone():
            raise InputError(f"{output_id} is not in {actor.name}'s queue")
        values = {"verdict": verdict, "citations_support": citations_support,
                  "severity": severity, "note": note.strip(), "reason": reason}  # fmt: skip
        return _append(con, actor, actor.name, output_id, values, "app")

    with WRITES:
        return write_as(store, evaluator, "grade", "grade.add", f"live_output:{output_id}", body)


def history(con: duckdb.DuckDBPyConnection, output_id: str, evaluator: str) -> list[Grade]:
    rows = con.execute(
        "SELECT * FROM grades WHERE output_id = ? AND evaluator = ? ORDER BY revision",
        [output_id, evaluator],
    ).fetchall()
    return [Grade(*r) for r in rows]


def mine(con: duckdb.DuckDBPyConnection, evaluator: str, limit: int = 200) -> list[Grade]:
    """The evaluator's own current grades (latest revision per item), the newest first: what
    they may change. Nobody else's grade is in it."""
    rows = con.execute(
        "SELECT * FROM current_grades WHERE evaluator = ? "
        "ORDER BY graded_at DESC, output_id LIMIT ?",
        [evaluator, limit],
    ).fetchall()
    return [Grade(*r) for r in rows]


def describe(grade: Grade) -> str:
    """One line: the verdict, whether citations support it, severity and revision."""
    support = {True: "citations support it", False: "citations do not support it"}
    parts = [VERDICT_LABELS[grade.verdict], f"severity {grade.severity}"]
    if grade.citations_support is not None:
        parts.insert(1, support[grade.citations_support])
    return " · ".join(parts) + f" (revision {grade.revision})"


IMPORT_FIELDS = ("output_id", "evaluator", "verdict", "severity", "citations_support", "note",
                 "reason", "graded_at")  # fmt: skip


def _read(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Rows as text and the line of the first row (CSV: 2, after the header)."""
    con = duckdb.connect()
    try:
        if path.suffix.lower() == ".csv":
            rel = con.sql(
                f"SELECT * FROM read_csv('{_q(path)}', all_varchar = true, header = true)"
            )
            first = 2
        elif path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            rel = con.sql(
                f"SELECT * FROM read_json('{_q(path)}', format = 'newline_delimited', "
                "columns = {" + ", ".join(f"'{f}': 'VARCHAR'" for f in IMPORT_FIELDS) + "})"
            )
            first = 1
        else:
            raise InputError(f"{path}: use a .csv or .jsonl file of grades")
        cols = rel.columns
        return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()], first
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot be read: {exc}") from None
    finally:
        con.close()


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _flag(text: str | None) -> bool | None:
    if text is None or text == "":
        return None
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise ValueError("expected true or false (or empty when there are no citations)")


class GradesInvalid(InputError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"{len(problems)} problem(s); no grade was imported"]
        super().__init__("\n".join(lines + [f"  {p}" for p in problems]))


def import_grades(store: Store, user: str | None, file: str | Path) -> dict[str, Any]:
    """Import grades made elsewhere (CSV or JSONL): all or nothing, every problem named."""
    path = Path(file)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    rows, first = _read(path)
    label = str(path)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> dict[str, Any]:
        problems: list[Problem] = []
        ready = []
        for n, row in enumerate(rows, start=first):
            missing = [f for f in ("output_id", "evaluator", "verdict", "severity")
                       if not (row.get(f) or "").strip()]  # fmt: skip
            problems += [Problem(label, n, f, "missing") for f in missing]
            if missing:
                continue
            try:
                support = _flag(row.get("citations_support"))
            except ValueError as exc:
                problems.append(Problem(label, n, "citations_support", str(exc)))
                continue
            try:
                check(row["verdict"], row["severity"], row.get("note") or "")
            except InputError as exc:
                field = "verdict" if "verdict" in str(exc) else "severity"
                problems.append(Problem(label, n, field, str(exc)))
                continue
            if not con.execute("SELECT 1 FROM live_outputs WHERE id = ?",
                               [row["output_id"]]).fetchone():  # fmt: skip
                problems.append(Problem(label, n, "output_id", "no such live output"))
                continue
            who = find_actor(con, row["evaluator"])
            if who is None or not who.can("grade"):
                problems.append(Problem(label, n, "evaluator", "not an active evaluator or lead"))
                continue
            ready.append((n, row, support))
        added = 0
        for n, row, support in ready:
            values = {"verdict": row["verdict"], "severity": row["severity"],
                      "citations_support": support, "note": (row.get("note") or "").strip(),
                      "reason": row.get("reason"), "graded_at": row.get("graded_at")}  # fmt: skip
            try:
                new = _append(con, actor, row["evaluator"], row["output_id"], values, "import")
            except InputError as exc:
                problems.append(Problem(label, n, "reason", str(exc)))
                continue
            if new is not None:
                added += 1
                _assign(con, row["output_id"], row["evaluator"])
        if problems:
            raise GradesInvalid(sorted(problems, key=lambda p: p.line or 0))
        return {"ok": True, "file": label, "rows": len(rows), "added": added,
                "unchanged": len(rows) - added}  # fmt: skip

    return write_as(store, user, "edit_pilot", "grades.import", f"grades_file:{path.name}", body)


def _assign(con: duckdb.DuckDBPyConnection, output_id: str, evaluator: str) -> None:
    """An imported grade takes a slot, so the queue does not hand the item out again."""
    con.execute(
        "INSERT INTO assignments SELECT ?, coalesce(max(slot), 0) + 1, ?, ? FROM assignments "
        "WHERE output_id = ? AND NOT EXISTS (SELECT 1 FROM assignments "
        "WHERE output_id = ? AND evaluator = ?)",
        [output_id, evaluator, audit.utc_now(), output_id, output_id, evaluator],
    )
