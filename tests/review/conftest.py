"""A database with users, 60 live outputs in 2026-W40 and a drawn sample of 20 (2 doubled)."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_data import output, write_jsonl

from pilot.core import access
from pilot.core.store import Store
from pilot.review import ingest, sampling


@pytest.fixture
def sampled(users_store: Store, tmp_path: Path) -> Store:
    access.add_user(users_store, "ada", "erin", "evaluator", password="correct horse battery")
    path = write_jsonl(tmp_path / "live.jsonl", [output(i) for i in range(60)])
    (result,) = ingest.ingest(users_store, "priya", str(path))
    assert result.ok
    drawn = sampling.draw(users_store, "priya", "2026-W40", 20, 3)
    assert drawn["n_items"] == 20 and drawn["n_double"] == 2
    return users_store
