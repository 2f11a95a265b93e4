"""From production back to the golden set: a graded live output becomes a case of a new
golden-set version in one action, through the golden sets' own import (so it is validated,
content-hashed and audited like any other version)."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from pilot.core.access import Who, find_actor, name_of, write_as
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.goldensets import versions as gs
from pilot.review.queue import WRITES


def agreed_answer(con: duckdb.DuckDBPyConnection, output_id: str) -> str | None:
    """The answer the grades agree on: the output itself when every current grade says
    correct, the approver's edited text when it was edited; otherwise None (a lead writes it)."""
    verdicts = [r[0] for r in con.execute(
        "SELECT verdict FROM current_grades WHERE output_id = ?", [output_id]).fetchall()]  # fmt: skip
    if not verdicts:
        raise InputError(f"{output_id} has no grade yet: grade it before adding it")
    row = con.execute(
        "SELECT o.output, a.decision, a.edited_text FROM live_outputs o "
        "LEFT JOIN approvals a ON a.output_id = o.id WHERE o.id = ?",
        [output_id],
    ).fetchone()
    if row[1] == "edited" and row[2]:
        return row[2]
    return row[0] if all(v == "correct" for v in verdicts) else None


def add_to_goldenset(
    store: Store, lead: Who, output_id: str, name: str, expected_answer: str | None = None
) -> gs.ImportResult:
    """A new version of golden set `name`: its latest cases plus this live output.

    All or nothing: the version is stored by the golden sets' own import in one transaction
    (validated, content-hashed, audited as `goldenset.import` with source file
    `NAME+live-ID.jsonl`). Promotions in this process take turns, and the import refuses a
    version built on one that is no longer the latest (another process saved meanwhile), so
    two at once never lose a case."""
    with WRITES:
        return _add(store, lead, output_id, name, expected_answer)


def _add(
    store: Store, lead: Who, output_id: str, name: str, expected_answer: str | None
) -> gs.ImportResult:
    with store.read() as con:
        actor = find_actor(con, lead)
    if actor is None or not actor.can("edit_pilot"):
        # write_as refuses, audits the attempt (access.denied) and raises PermissionDenied
        write_as(store, lead, "edit_pilot", "live.promote", f"live_output:{output_id}",
                 lambda con, a: None)  # fmt: skip
        raise PermissionDenied(f"{name_of(lead)} may not add cases to a golden set (leads only)")
    with store.read() as con:
        row = con.execute(
            "SELECT input, citations, sources, tags, consequential FROM live_outputs WHERE id = ?",
            [output_id],
        ).fetchone()
        if row is None:
            raise InputError(f"no live output {output_id!r}")
        answer = expected_answer or agreed_answer(con, output_id)
        if not answer:
            raise InputError(
                f"{output_id} was not graded correct: write the correct answer to add it"
            )
        latest = gs.latest_version(con, name)
        cases = gs.load_cases(con, latest) if latest else []
    question, citations, sources, tags, consequential = row
    sources = [s for s in json.loads(sources or "[]") if isinstance(s, dict)]
    texts = [str(s.get("text") or "") for s in sources]
    evidence = sorted({str(c.get("cited_text")) for c in json.loads(citations or "[]")
                       if isinstance(c, dict) and c.get("cited_text")
                       and any(str(c["cited_text"]) in t for t in texts)})  # fmt: skip
    case: dict[str, Any] = {
        "id": f"live-{output_id}",
        "question": question,
        "sources": [
            {
                "id": str(s.get("id")),
                "title": str(s.get("title") or ""),
                "text": str(s.get("text") or ""),
            }
            for s in sources
        ],  # fmt: skip
        "expected_answer": answer,
        "answerable": True,
        "evidence": evidence,
        "tags": sorted({*(tags or []), "from-production"}),
        "consequential": bool(consequential),
    }
    if any(c.id == case["id"] for c in cases):
        raise InputError(f"{output_id} is already in golden set {name!r}")
    lines = [json.dumps(c.model_dump(mode="json"), ensure_ascii=False) for c in cases]
    lines.append(json.dumps(case, ensure_ascii=False))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    source = f"{name}+{case['id']}.jsonl"
    return gs.import_goldenset(store, lead, data, name=name, filename=source, based_on=latest)
