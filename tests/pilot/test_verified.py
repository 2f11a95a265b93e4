"""Issue #14: a run checks the audit chain before it starts and again before it scores; the
second check walks only the events written since the first, when none before has changed, and
its verdict is always the full walk's (`pilot.core.verified`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import seeded_store, write_cases
from test_integrity import rehash_from

from pilot.core import audit, verified
from pilot.core.access import Actor
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.runs.finish import finish_run
from pilot.runs.integrity import TamperedRecord
from pilot.runs.start import prepare_run


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Store]:
    verified.forget()
    store = seeded_store(tmp_path / "p.duckdb")
    for i in range(4):
        store.write(lambda con, i=i: audit.record(con, "priya", "lead", "test.event", f"o:{i}"))
    yield store
    verified.forget()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The numbers of the events whose hash a walk recomputed."""
    seen: list[int] = []
    real = audit.event_hash

    def counting(seq: int, *rest: object) -> str:
        seen.append(seq)
        return real(seq, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "event_hash", counting)
    return seen


def both(store: Store) -> tuple[audit.Verification, audit.Verification]:
    """This process's check (from where its last walk ended) and a full walk, same snapshot."""
    with store.read() as con:
        return verified.verify(con, store.key()), audit.verify(con, None, store.key())


def test_the_second_check_walks_only_the_events_written_since(
    chain: Store, hashed: list[int]
) -> None:
    with chain.read() as con:
        first = verified.verify(con, chain.key())
    assert first.intact and hashed == list(range(1, first.events + 1))  # the first: in full
    for i in range(3):
        chain.write(lambda con, i=i: audit.record(con, "priya", "lead", "later", f"n:{i}"))
    hashed.clear()
    with chain.read() as con:
        second = verified.verify(con, chain.key())
    assert hashed == [first.events + 1, first.events + 2, first.events + 3]
    assert second.intact and second.events == first.events + 3
    hashed.clear()
    assert both(chain)[0] == both(chain)[1]  # the same verdict, head and counts as a full walk


EDITS = {
    # someone who can write the file but not read the key, after the first check
    "an actor rewritten and every hash recomputed": (
        ["UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"],
        2,
    ),
    "a payload edited": (["UPDATE audit_events SET payload = '{\"n\": 9}' WHERE seq = 3"], 3),
    "a MAC replaced": (["UPDATE audit_events SET mac = repeat('0', 64) WHERE seq = 4"], 4),
    "an event deleted and the rest renumbered": (
        [
            "DELETE FROM audit_events WHERE seq = 3",
            "UPDATE audit_events SET seq = seq - 1 WHERE seq > 3",
        ],
        3,
    ),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_an_event_changed_before_where_the_last_walk_ended_is_caught_as_in_a_full_walk(
    chain: Store, edit: str
) -> None:
    statements, first_bad = EDITS[edit]
    assert both(chain)[0].intact  # this process has now walked every event
    chain.write(lambda con: audit.record(con, "priya", "lead", "later", "n:1"))
    with chain.transaction() as con:
        for statement in statements:
            con.execute(statement)
        if edit.endswith("recomputed") or "renumbered" in edit:
            rehash_from(con, first_bad)
    mine, full = both(chain)
    assert not mine.intact and mine.first_bad == first_bad
    assert mine == full


def test_a_forged_event_after_where_the_last_walk_ended_is_caught(chain: Store) -> None:
    assert both(chain)[0].intact
    chain.write(lambda con: audit.record(con, "priya", "lead", "later", "n:1"))
    with chain.transaction() as con:
        n = con.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
        con.execute("UPDATE audit_events SET object = 'n:2' WHERE seq = ?", [n])
        rehash_from(con, n)
    mine, full = both(chain)
    assert not mine.intact and mine.first_bad == n and "MAC" in mine.reason
    assert mine == full


def test_a_run_whose_earlier_events_are_rewritten_while_it_runs_is_refused_at_scoring(
    chain: Store, tmp_path: Path
) -> None:
    import_goldenset(chain, "priya", write_cases(tmp_path / "c.jsonl", 5), name="leave")
    run_id = prepare_run(chain, "priya", goldenset="leave", config=SystemConfig(kind="offline"))
    with chain.transaction() as con:  # after the check at its start, before its scoring
        con.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
        rehash_from(con, 2)
    with pytest.raises(TamperedRecord, match="audit chain is broken at event 2"):
        finish_run(chain, Actor("priya", "lead"), run_id)
