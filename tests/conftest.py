"""Fixtures shared across the suite."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# No per-example deadline: a loaded CI machine or a cold import must not fail a property test.
settings.register_profile("pilot", deadline=None)
settings.load_profile("pilot")

from helpers import seeded_store  # noqa: E402
from stub_messages_api import MessagesStub  # noqa: E402

from pilot.store import Store  # noqa: E402


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty, migrated database in the test's own folder."""
    s = Store(tmp_path / "pilot.duckdb")
    with s.read():
        pass
    return s


@pytest.fixture
def users_store(tmp_path: Path) -> Store:
    """A database with one user per role (see tests/helpers.py)."""
    return seeded_store(tmp_path / "pilot.duckdb")


@pytest.fixture
def messages_stub() -> Iterator[MessagesStub]:
    """A local Messages API for the real anthropic SDK (see tests/stub_messages_api.py): pass
    `base_url=messages_stub.base_url`. Stopped after the test."""
    with MessagesStub() as stub:
        yield stub
