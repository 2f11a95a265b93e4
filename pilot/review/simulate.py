"""The demo's simulated live outputs, samples, grades and approvals, all labelled simulated.

Outputs are made from the demo golden set's questions over three fixed ISO weeks, written to a
JSON-lines file and loaded by the real ingest (so the demo exercises the production path); each
carries `simulated: true`, which every page and `review status` shows. Marco and Erin grade the
two older weeks (a share twice, for agreement); the latest week is left for Marco to grade.
"""

from __future__ import annotations

import json
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pilot.core.store import Store
from pilot.goldensets.versions import latest_version, load_cases
from pilot.review import grades, ingest, queue, sampling

WEEKS = ("2026-W38", "2026-W39", "2026-W40")
PER_WEEK = 120
SAMPLE_SIZE = 40
DOUBLE_SHARE = 0.25
SEED = 2026
GRADED_WEEKS = 2
EVALUATORS = ("marco", "erin")


def _monday(week: str) -> datetime:
    return datetime.strptime(f"{week}-1", "%G-W%V-%u").replace(tzinfo=UTC)


def _outputs(cases: list[Any], rng: random.Random) -> list[dict[str, Any]]:
    answerable = [c for c in cases if c.answerable and c.expected_answer and c.evidence]
    records = []
    for week in WEEKS:
        start = _monday(week)
        for i in range(PER_WEEK):
            case = rng.choice(answerable)
            wrong = rng.random() < 0.06
            consequential = case.consequential or rng.random() < 0.1
            record = {
                "id": f"sim-{week}-{i:04d}",
                "timestamp": (start + timedelta(minutes=rng.randrange(7 * 24 * 60))).isoformat(),
                "input": case.question,
                "output": "I could not find that in the policy." if wrong else case.expected_answer,
                "citations": [
                    {"source_id": s.id, "cited_text": e}
                    for s in case.sources
                    for e in case.evidence
                    if e in s.text
                ][:2],  # fmt: skip
                "sources": [s.model_dump() for s in case.sources],
                "consequential": consequential,
                "stage": 2,
                "tags": list(case.tags),
                "system_config": {"model": "offline-bm25-v1", "simulated": True},
                "simulated": True,
            }
            if consequential:
                roll = rng.random()
                decision = "approved" if roll < 0.8 else "edited" if roll < 0.95 else "rejected"
                record["approval"] = {
                    "decision": decision,
                    "approver": "omar",
                    "edited_text": case.expected_answer if decision == "edited" else None,
                }
            records.append(record)
    return records


def seed_demo_review(store: Store, lead: str = "priya") -> dict[str, Any]:
    """Simulated live outputs, samples, grades and approvals; running it again adds nothing."""
    with store.read() as con:
        if con.execute("SELECT coalesce(sum(simulated), 0) FROM live_weeks").fetchone()[0]:
            return {"skipped": "simulated live outputs already present"}
        version = latest_version(con, "benefits")
        if version is None:
            return {"skipped": "no demo golden set to simulate live outputs from"}
        cases = load_cases(con, version)
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="pilot-demo-") as tmp:
        path = Path(tmp) / "simulated-live-outputs.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in _outputs(cases, rng)) + "\n")
        (result,) = ingest.ingest(store, lead, str(path))
    if not result.ok:
        raise RuntimeError(f"simulated outputs did not ingest: {result.errors[:3]}")
    drawn = [
        sampling.draw(store, lead, week, SAMPLE_SIZE, SEED, double_share=DOUBLE_SHARE)
        for week in WEEKS
    ]
    graded = 0
    graded_ids = {i["output_id"] for d in drawn[:GRADED_WEEKS] for i in d["items"]}
    for who in EVALUATORS:
        while (item := queue.next_item(store, who)) is not None and item in graded_ids:
            verdict, severity = _simulated_grade(store, item, rng, second=who != EVALUATORS[0])
            grades.grade(store, who, item, verdict, severity, citations_support=True,
                         note="simulated grade")  # fmt: skip
            graded += 1
    return {"outputs": result.inserted, "approvals": result.approvals,
            "samples": [d["sample_id"] for d in drawn], "grades": graded, "simulated": True}  # fmt: skip


def _simulated_grade(
    store: Store, output_id: str, rng: random.Random, *, second: bool
) -> tuple[str, str]:
    """The item's own verdict (seeded by its id, so both graders start from the same truth);
    a second grader departs from it now and then, so agreement is high but not perfect."""
    with store.read() as con:
        answer = con.execute("SELECT output FROM live_outputs WHERE id = ?", [output_id]).fetchone()
    own = random.Random(output_id)
    if answer and answer[0].startswith("I could not find"):
        verdict = ("incorrect", own.choice(("major", "critical")))
    else:
        verdict = ("correct", "none") if own.random() < 0.93 else ("partly", "minor")
    if second and rng.random() < 0.08:
        return ("partly", "minor") if verdict[0] == "correct" else ("correct", "none")
    return verdict
