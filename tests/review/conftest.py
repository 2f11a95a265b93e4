"""A database with users, 60 live outputs in 2026-W40 and a drawn sample of 20 (2 doubled)."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_data import seed_sampled

from pilot.core import access
from pilot.core.store import Store


@pytest.fixture
def sampled(users_store: Store, tmp_path: Path) -> Store:
    access.add_user(users_store, "ada", "erin", "evaluator", password="correct horse battery")
    drawn = seed_sampled(users_store, tmp_path)
    assert drawn["n_items"] == 20 and drawn["n_double"] == 2
    return users_store
