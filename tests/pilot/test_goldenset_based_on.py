"""A version built from a stored one (an edited case, a promoted live output) is refused when
someone saved another version meanwhile, so two edits at once never lose one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import seeded_store, write_cases

from pilot.core.errors import InputError
from pilot.goldensets import versions as gs


def test_a_version_built_on_a_stale_one_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "p.duckdb")
    first = gs.import_goldenset(store, "priya", write_cases(tmp_path / "a.jsonl", 10), name="hr")
    # two leads read version `first`; one saves a 12-case version ...
    mine = write_cases(tmp_path / "b.jsonl", 12).read_bytes()
    theirs = write_cases(tmp_path / "c.jsonl", 14).read_bytes()
    saved = gs.import_goldenset(store, "priya", mine, name="hr", based_on=first.version)
    assert saved.created
    # ... and the other's save, built on the same `first`, is refused whole
    with pytest.raises(InputError, match="changed while"):
        gs.import_goldenset(store, "priya", theirs, name="hr", based_on=first.version)
    with store.read() as con:
        assert gs.latest_version(con, "hr") == saved.version
        assert [v.n_cases for v in gs.versions(con, "hr")] == [12, 10]


def test_based_on_none_means_a_new_set(tmp_path: Path) -> None:
    store = seeded_store(tmp_path / "p.duckdb")
    data = write_cases(tmp_path / "a.jsonl", 10).read_bytes()
    assert gs.import_goldenset(store, "priya", data, name="new", based_on=None).created
    with pytest.raises(InputError, match="changed while"):
        gs.import_goldenset(store, "priya", data + b"", name="new2", based_on="v-that-is-not")
    with store.read() as con:
        assert gs.latest_version(con, "new2") is None
