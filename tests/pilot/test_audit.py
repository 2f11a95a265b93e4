from __future__ import annotations

import pytest

from pilot.core import audit
from pilot.core.store import Store


@pytest.fixture
def chain(store: Store) -> Store:
    for i in range(1, 7):
        store.write(
            lambda con, i=i: audit.record(con, "priya", "lead", "test.event", f"obj:{i}", {"n": i})
        )
    return store


def verify(store: Store) -> audit.Verification:
    with store.read() as con:
        return audit.verify(con)


def test_intact_chain(chain: Store) -> None:
    result = verify(chain)
    assert result.intact and result.events == 6
    assert result.summary().startswith("intact since event 1")


def test_empty_chain_is_intact(store: Store) -> None:
    assert verify(store).intact


def test_edit_is_caught(chain: Store) -> None:
    with chain.transaction() as con:
        con.execute("UPDATE audit_events SET payload = '{\"n\":99}' WHERE seq = 4")
    result = verify(chain)
    assert not result.intact and result.first_bad == 4
    assert "content" in result.reason


def test_edit_with_recomputed_hash_is_caught_downstream(chain: Store) -> None:
    """A forger who re-hashes the edited event still breaks the next event's link."""
    with chain.transaction() as con:
        row = con.execute(
            "SELECT seq, ts, actor, role, action, object, payload, prev_hash, hash "
            "FROM audit_events WHERE seq = 3"
        ).fetchone()
        seq, ts, actor, role, action, obj, _, prev, _ = row
        payload = '{"n":42}'
        digest = audit.event_hash(seq, ts, actor, role, action, obj, payload, prev)
        con.execute(
            "UPDATE audit_events SET payload = ?, hash = ? WHERE seq = 3", [payload, digest]
        )
    result = verify(chain)
    assert not result.intact and result.first_bad == 4


def test_delete_is_caught(chain: Store) -> None:
    with chain.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq = 2")
    result = verify(chain)
    assert not result.intact and result.first_bad == 2


def test_insert_is_caught(chain: Store) -> None:
    with chain.transaction() as con:
        con.execute("UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3")
        con.execute("UPDATE audit_events SET seq = seq - 99 WHERE seq >= 103")
        prev = con.execute("SELECT hash FROM audit_events WHERE seq = 2").fetchone()[0]
        ts = audit.utc_now()
        digest = audit.event_hash(3, ts, "mallory", "admin", "forged", "x", "{}", prev)
        con.execute(
            "INSERT INTO audit_events (seq, ts, actor, role, action, object, payload, prev_hash, "
            "hash) VALUES (3, ?, 'mallory', 'admin', 'forged', 'x', '{}', ?, ?)",
            [ts, prev, digest],
        )
    result = verify(chain)
    assert not result.intact and result.first_bad == 4


def test_reorder_is_caught(chain: Store) -> None:
    with chain.transaction() as con:
        con.execute("UPDATE audit_events SET seq = -1 WHERE seq = 2")
        con.execute("UPDATE audit_events SET seq = 2 WHERE seq = 5")
        con.execute("UPDATE audit_events SET seq = 5 WHERE seq = -1")
    result = verify(chain)
    assert not result.intact and result.first_bad == 2


def test_filters(chain: Store) -> None:
    chain.write(lambda con: audit.record(con, "sam", "auditor", "other.thing", "obj:x"))
    with chain.read() as con:
        assert [e.actor for e in audit.events(con, actor="sam")] == ["sam"]
        assert len(audit.events(con, action="test.")) == 6
        assert audit.events(con)[0].seq == 7


def test_truncation_is_caught_with_an_anchor(chain: Store) -> None:
    anchor = verify(chain).anchor  # kept outside the database
    assert anchor.startswith("6:")
    chain.write(lambda con: audit.record(con, "priya", "lead", "later", "obj:7"))
    with chain.read() as con:
        assert audit.verify(con, audit.parse_anchor(anchor)).intact  # growth is fine
    with chain.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq >= 5")
    with chain.read() as con:
        assert audit.verify(con).intact  # the chain alone cannot tell
        result = audit.verify(con, audit.parse_anchor(anchor))
    assert not result.intact and "truncated" in result.reason


def test_anchor_must_match(chain: Store) -> None:
    seq, digest = audit.parse_anchor(verify(chain).anchor)
    with chain.read() as con:
        result = audit.verify(con, (seq, "0" * 64))
    assert not result.intact and result.first_bad == seq
    with pytest.raises(ValueError, match="SEQ:HASH"):
        audit.parse_anchor("12:abc")
