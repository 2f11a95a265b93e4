"""Live-output records for the review tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

POLICY = "Leave policy.\nEmployees receive 25 days of annual leave each year.\nAsk HR first."


def output(i: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"out-{i:04d}",
        "timestamp": f"2026-09-{28 + i % 3:02d}T10:{i % 60:02d}:00Z",  # ISO week 2026-W40
        "input": f"How many days of leave do I get? #{i}",
        "output": f"You get 25 days of annual leave. #{i}",
        "citations": [
            {
                "source_id": "leave",
                "cited_text": "Employees receive 25 days of annual leave each year.",
            }
        ],
        "sources": [{"id": "leave", "title": "Leave policy", "text": POLICY}],
        "consequential": i % 5 == 0,
        "stage": 2,
        "tags": ["numeric"] if i % 2 else ["ugly"],
        "system_config": {"model": "claude-secret-model-x", "auto_score": 0.97},
    }
    record.update(changes)
    return record


def write_jsonl(path: Path, records: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def seed_sampled(store: Any, folder: Path, n: int = 60, size: int = 20, seed: int = 3) -> dict:
    """Ingest `n` outputs of 2026-W40 as priya and draw a sample from them."""
    from pilot.review import ingest, sampling

    (result,) = ingest.ingest(
        store, "priya", str(write_jsonl(folder / "live.jsonl", [output(i) for i in range(n)]))
    )
    assert result.ok, result.errors
    return sampling.draw(store, "priya", "2026-W40", size, seed)
