from __future__ import annotations

from pathlib import Path

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
    assert result.reason == "its previous-hash does not match the event before it"


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


def test_events_read_back_every_field_newest_first(store: Store) -> None:
    recorded = [
        store.write(lambda con: audit.record(con, "priya", "lead", "run.start", "run:1", {"n": 1})),
        store.write(lambda con: audit.record(con, "sam", "auditor", "audit.verify", "chain")),
        store.write(
            lambda con: audit.record(con, "priya", "lead", "run.finish", "run:1", {"k": 2})
        ),
    ]
    with store.read() as con:
        assert audit.events(con) == recorded[::-1]
        assert audit.events(con, actor="priya") == [recorded[2], recorded[0]]
        assert audit.events(con, action="run.") == [recorded[2], recorded[0]]
        assert audit.events(con, actor="sam", action="run.") == []
        assert audit.events(con, actor="priya", action="run.f") == [recorded[2]]
        assert audit.events(con, limit=2) == [recorded[2], recorded[1]]
        assert audit.distinct_values(con, "actor") == ["priya", "sam"]
        assert audit.distinct_values(con, "action") == ["audit.verify", "run.finish", "run.start"]
        with pytest.raises(ValueError, match="payload"):
            audit.distinct_values(con, "payload")
    first, second, third = recorded
    assert (first.seq, first.prev_hash, first.token_id) == (1, audit.GENESIS, None)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert third.hash == audit.event_hash(
        3, third.ts, "priya", "lead", "run.finish", "run:1", '{"k":2}', second.hash
    )


def test_a_listing_shows_the_newest_500_events(store: Store) -> None:
    def many(con: object) -> None:
        for i in range(501):
            audit.record(con, "priya", "lead", "test.event", f"obj:{i}")

    store.write(many)
    with store.read() as con:
        listed = audit.events(con)
    assert len(listed) == 500 and (listed[0].seq, listed[-1].seq) == (501, 2)


def test_an_event_names_the_token_its_actor_acts_through(store: Store) -> None:
    from pilot.core.access import Actor

    actor = Actor("priya", "lead", token_id="tok-1234")
    event = store.write(lambda con: audit.record_as(con, actor, "run.start", "run:9"))
    assert (event.actor, event.role, event.token_id) == ("priya", "lead", "tok-1234")
    with store.read() as con:
        assert audit.events(con) == [event] and audit.verify(con, None, store.key()).intact


def test_an_anchor_past_the_end_or_off_the_chain_is_reported_in_full(chain: Store) -> None:
    key = chain.key()
    with chain.read() as con:
        head = audit.verify(con).head
        assert audit.verify(con, (9, head)) == audit.Verification(
            False, 6, 7, "truncated: the anchor names event 9 but the chain ends at event 6"
        )
        assert audit.verify(con, (9, head), key) == audit.Verification(
            False,
            6,
            7,
            "truncated: the anchor names event 9 but the chain ends at event 6",
            keyed=True,
        )
        assert audit.verify(con, (3, "0" * 64), key) == audit.Verification(
            False, 6, 3, "it does not match the anchor", keyed=True
        )
        assert audit.verify(con, (6, head), key).intact


def test_an_anchor_is_seq_colon_64_hex_digits() -> None:
    digest = "3FA0" + "0" * 60
    assert audit.parse_anchor(f" 412:{digest}\n") == (412, digest.lower())
    for text in (
        "412:" + "0" * 63,
        "x:" + "0" * 64,
        "412-" + "0" * 64,
        "7:" + "0" * 31 + ":" + "0" * 32,
    ):
        with pytest.raises(ValueError, match="expected SEQ:HASH"):
            audit.parse_anchor(text)


@pytest.mark.parametrize(
    ("verification", "summary"),
    [
        (
            audit.Verification(True, 0, keyed=True),
            "intact: no events yet",
        ),
        (
            audit.Verification(True, 3, head="ab" * 32, keyed=True, first_keyed=1),
            "intact since event 1 (3 events, head abababababab)",
        ),
        (
            audit.Verification(True, 3, head="ab" * 32),
            "intact since event 1 (3 events, head abababababab); NO PILOT KEY: the chain shows "
            "order, not authorship; anyone who can write the file can rewrite it and recompute "
            "every hash (run `pilot init` to create a key)",
        ),
        (
            audit.Verification(True, 9, head="cd" * 32, keyed=True, first_keyed=4),
            "intact since event 1 (9 events, head cdcdcdcdcdcd); unkeyed records before event 4: "
            "they were written before the key existed; the key vouches only that they have not "
            "changed since",
        ),
        (
            audit.Verification(False, 9, 4, "its content does not match its hash"),
            "broken at event 4: its content does not match its hash",
        ),
    ],
)
def test_a_verification_says_what_it_found(verification: audit.Verification, summary: str) -> None:
    assert verification.summary() == summary


def test_resealing_macs_from_the_first_keyed_event_and_moves_the_head(tmp_path: Path) -> None:
    """A chain with no keyed head (a database from before keys) is sealed from its newest event,
    which pins those before it; resealing a keyed chain under a new key keeps its first keyed
    event. Nothing to seal seals nothing."""
    from pilot.core import keys

    store = Store(tmp_path / "p.duckdb")
    for i in range(4):
        store.write(lambda con, i=i: audit.record(con, "priya", "lead", "test.event", f"o:{i}"))
    with store.transaction() as con:
        con.execute("UPDATE audit_events SET mac = NULL")
        con.execute("DELETE FROM audit_head")
        rows = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq").fetchall()
    first_key = keys.PilotKey(b"1" * 32, tmp_path / "one.key")
    with store.transaction() as con:
        assert audit.reseal(con, first_key) == 1
        assert audit.keyed_head(con)[:4] == (4, rows[-1][1], 4, first_key.key_id)
        assert audit.verify(con, None, first_key).unkeyed_before == 4
    second_key = keys.PilotKey(b"2" * 32, tmp_path / "two.key")
    with store.transaction() as con:
        assert audit.reseal(con, second_key) == 1
        assert audit.keyed_head(con)[:3] == (4, rows[-1][1], 4)
        assert audit.verify(con, None, second_key).intact
        assert not audit.verify(con, None, first_key).intact
        con.execute("DELETE FROM audit_events")
        assert audit.reseal(con, second_key) == 0


def test_events_before_a_number_and_the_event_at_a_number(chain: Store) -> None:
    """`before` pages back through the chain (seq < before, newest first); `event_at` is the
    event with exactly that number, or None past either end."""
    with chain.read() as con:
        assert [e.seq for e in audit.events(con, before=4)] == [3, 2, 1]
        assert [e.seq for e in audit.events(con, before=4, limit=2)] == [3, 2]
        assert audit.events(con, before=1) == []
        assert [e.seq for e in audit.events(con, actor="priya", before=3)] == [2, 1]
        third = audit.event_at(con, 3)
        assert third is not None and (third.seq, third.object, third.payload) == (
            3,
            "obj:3",
            {"n": 3},
        )
        assert audit.event_at(con, 6) == audit.events(con)[0]
        assert audit.event_at(con, 7) is None and audit.event_at(con, 0) is None


def test_the_newest_event_number_passes_over_the_actions_excluded(chain: Store) -> None:
    """A report covers the chain up to the newest event that is not a report's own."""
    chain.write(lambda con: audit.record(con, "priya", "lead", "report.generate", "report:1"))
    chain.write(lambda con: audit.record(con, "priya", "lead", "report.sign", "report:1"))
    with chain.read() as con:
        assert audit.newest_seq(con) == 8
        assert audit.newest_seq(con, ("report.generate",)) == 8
        assert audit.newest_seq(con, ("report.sign",)) == 7
        assert audit.newest_seq(con, ("report.sign", "report.generate")) == 6
        assert audit.newest_seq(con, ("report.sign", "report.generate", "test.event")) == 0


def test_an_empty_chain_has_no_newest_event(store: Store) -> None:
    with store.read() as con:
        assert audit.newest_seq(con) == 0 and audit.newest_seq(con, ("x",)) == 0
        assert audit.events(con) == [] and audit.event_at(con, 1) is None


def test_resealing_a_chain_keyed_from_its_first_event_macs_every_event(
    tmp_path: Path,
) -> None:
    """Rotating the key of a chain keyed from event 1 re-MACs all its events, not just the
    newest, and keeps event 1 as the first keyed one."""
    from pilot.core import keys

    store = Store(tmp_path / "p.duckdb")
    for i in range(4):
        store.write(lambda con, i=i: audit.record(con, "priya", "lead", "test.event", f"o:{i}"))
    new_key = keys.PilotKey(b"3" * 32, tmp_path / "three.key")
    with store.transaction() as con:
        assert audit.keyed_head(con)[2] == 1
        assert audit.reseal(con, new_key) == 4
        assert audit.keyed_head(con)[2:4] == (1, new_key.key_id)
        macs = [r[0] for r in con.execute("SELECT mac FROM audit_events ORDER BY seq").fetchall()]
        hashes = [
            r[0] for r in con.execute("SELECT hash FROM audit_events ORDER BY seq").fetchall()
        ]
        assert macs == [audit.event_mac(new_key, h) for h in hashes]
        result = audit.verify(con, None, new_key)
        assert result.intact and result.unkeyed_before is None


def test_a_broken_chain_is_reported_in_full_with_and_without_the_key(chain: Store) -> None:
    """Every field of a broken verification: not intact, how many events, where, why, and
    whether the key was used."""
    key = chain.key()
    with chain.transaction() as con:
        con.execute("UPDATE audit_events SET payload = '{\"n\":99}' WHERE seq = 4")
    reason = "its content does not match its hash"
    with chain.read() as con:
        assert audit.verify(con) == audit.Verification(False, 6, 4, reason, keyed=False)
        assert audit.verify(con, None, key) == audit.Verification(False, 6, 4, reason, keyed=True)


def test_the_wrong_key_is_named_before_any_event_is_checked(chain: Store, tmp_path: Path) -> None:
    from pilot.core import keys

    sealed = chain.key()
    assert sealed is not None
    wrong = keys.PilotKey(b"w" * 32, tmp_path / "wrong.key")
    with chain.read() as con:
        assert audit.verify(con, None, wrong) == audit.Verification(
            False,
            6,
            1,
            f"the key file holds key {wrong.key_id}; this database is sealed with key "
            f"{sealed.key_id}",
            keyed=True,
        )


def test_a_head_witness_that_does_not_verify_breaks_the_verification(chain: Store) -> None:
    """The witness beside the key (the newest event seen committed) is checked with the key: a
    file that is not a witness, or one whose MAC fails, is reported at the newest event."""
    from pilot.core import keys

    key = chain.key()
    assert key is not None
    witness = keys.witness_path(key)
    with chain.read() as con:
        assert audit.verify(con, None, key).intact  # the witness the writes left is good
    witness.write_text("not a witness\n")
    with chain.read() as con:
        assert audit.verify(con, None, key) == audit.Verification(
            False, 6, 6, f"{witness}: not a head witness", keyed=True
        )
    witness.write_text(f"6 {'0' * 64} {'0' * 64}\n")
    with chain.read() as con:
        assert audit.verify(con, None, key) == audit.Verification(
            False, 6, 6, f"{witness}: its MAC does not match the key", keyed=True
        )


def test_a_head_witness_past_the_end_of_the_chain_names_itself(chain: Store) -> None:
    """An older copy of the database put back (its events and keyed head agree: the chain
    verifies on its own) is caught by the witness beside the key, which names itself."""
    key = chain.key()
    assert key is not None
    with chain.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq >= 5")
        fourth = con.execute("SELECT hash FROM audit_events WHERE seq = 4").fetchone()[0]
        audit.write_head(con, key, 4, fourth, 1)  # as the older copy had it
    with chain.read() as con:
        assert audit.verify(con).intact  # the chain alone cannot tell
        assert audit.verify(con, None, key) == audit.Verification(
            False,
            4,
            5,
            "truncated: the head witness beside the key names event 6 but the chain ends at "
            "event 4",
            keyed=True,
        )


def test_a_renumbered_gap_and_a_swap_are_reported_in_full(chain: Store) -> None:
    """A deleted event shows as the number the walk expected; two events swapped keep their
    numbers, so the first of them no longer links to the event before it."""
    with chain.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq = 2")
    with chain.read() as con:
        assert audit.verify(con) == audit.Verification(
            False, 5, 2, "expected event 2, found 3", keyed=False
        )
    with chain.transaction() as con:
        con.execute("UPDATE audit_events SET seq = seq - 1 WHERE seq > 2")
        con.execute("UPDATE audit_events SET seq = 0 WHERE seq = 1")
    with chain.read() as con:  # the first event now numbered 0: the smaller number is named
        assert audit.verify(con) == audit.Verification(
            False, 5, 0, "expected event 1, found 0", keyed=False
        )


def test_a_keyed_chain_intact_names_its_head_key_and_first_keyed_event(chain: Store) -> None:
    key = chain.key()
    assert key is not None
    with chain.read() as con:
        newest = con.execute("SELECT hash FROM audit_events WHERE seq = 6").fetchone()[0]
        assert audit.verify(con, None, key) == audit.Verification(
            True, 6, head=newest, keyed=True, first_keyed=1, key_id=key.key_id
        )
        assert audit.verify(con) == audit.Verification(True, 6, head=newest, first_keyed=1)
        assert audit.keyed_head(con) == (
            6,
            newest,
            1,
            key.key_id,
            audit.head_mac(key, 6, newest, 1),
        )


def test_each_keyed_check_reports_where_and_why(chain: Store) -> None:
    """With the key: an event's MAC, the head's presence, its MAC, its length and its hash,
    each broken on its own, reported in full."""
    key = chain.key()
    assert key is not None

    def check() -> audit.Verification:
        with chain.read() as con:
            return audit.verify(con, None, key)

    def broken(seq: int, reason: str, events: int = 6) -> audit.Verification:
        return audit.Verification(False, events, seq, reason, keyed=True)

    with chain.transaction() as con:
        rows = con.execute("SELECT seq, hash, mac FROM audit_events ORDER BY seq").fetchall()
        con.execute("UPDATE audit_events SET mac = ? WHERE seq = 1", [rows[1][2]])
    assert check() == broken(
        1, "its MAC does not match: it was written or rewritten without the pilot key"
    )
    with chain.transaction() as con:
        con.execute("UPDATE audit_events SET mac = ? WHERE seq = 1", [rows[0][2]])
        head = audit.keyed_head(con)
        con.execute("DELETE FROM audit_head")
    assert check() == broken(
        1,
        "the chain has events but no keyed head record: it was never sealed, "
        "or its seal was removed",
    )
    with chain.transaction() as con:
        con.execute("INSERT INTO audit_head VALUES (1, ?, ?, ?, ?, ?)", [*head[:4], "0" * 64])
    assert check() == broken(6, "the keyed head record was altered (its MAC does not match)")
    with chain.transaction() as con:
        audit.write_head(con, key, 4, rows[3][1], 1)  # the head moved back to event 4
    assert check() == broken(
        4,
        f"the keyed head names event 4 ({rows[3][1][:12]}), which is not the newest event: "
        "events were removed, replaced or added without the key",
    )
    with chain.transaction() as con:
        audit.write_head(con, key, 6, rows[4][1], 1)  # event 6 named with event 5's hash
    assert check() == broken(
        6,
        f"the keyed head names event 6 ({rows[4][1][:12]}), which is not the newest event: "
        "events were removed, replaced or added without the key",
    )
    with chain.transaction() as con:
        audit.write_head(con, key, 6, rows[5][1], 1)
        con.execute("DELETE FROM audit_events WHERE seq >= 5")
    assert check() == broken(
        5, "truncated: the keyed head names event 6 but the chain ends at event 4", events=4
    )


def test_events_before_the_first_keyed_one_carry_no_mac_but_it_does(tmp_path: Path) -> None:
    """A chain keyed from event 3 (events 1 and 2 written before the key): their missing MACs
    are fine; event 3's MAC is checked like every later one."""
    from pilot.core import keys

    store = Store(tmp_path / "p.duckdb")
    for i in range(4):
        store.write(lambda con, i=i: audit.record(con, "priya", "lead", "test.event", f"o:{i}"))
    key = keys.PilotKey(b"4" * 32, tmp_path / "four.key")
    with store.transaction() as con:
        rows = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq").fetchall()
        con.execute("UPDATE audit_events SET mac = NULL WHERE seq < 3")
        for seq, digest in rows[2:]:
            con.execute(
                "UPDATE audit_events SET mac = ? WHERE seq = ?", [audit.event_mac(key, digest), seq]
            )
        audit.write_head(con, key, 4, rows[3][1], 3)
    with store.read() as con:
        result = audit.verify(con, None, key)
    assert (result.intact, result.first_keyed, result.unkeyed_before) == (True, 3, 3)
    with store.transaction() as con:
        con.execute("UPDATE audit_events SET mac = NULL WHERE seq = 3")
    with store.read() as con:
        assert audit.verify(con, None, key) == audit.Verification(
            False,
            4,
            3,
            "its MAC does not match: it was written or rewritten without the pilot key",
            keyed=True,
        )


def test_recording_with_no_key_or_the_wrong_key_refuses_and_names_both_keys(
    chain: Store, tmp_path: Path
) -> None:
    from pilot.core import keys

    sealed = chain.key()
    assert sealed is not None
    wrong = keys.PilotKey(b"w" * 32, tmp_path / "wrong.key")
    with chain.transaction() as con:
        keys.bind(con, None)
        with pytest.raises(audit.KeyProblem) as raised:
            audit.record(con, "priya", "lead", "test.event", "obj:7")
        assert str(raised.value) == (
            f"this database is sealed with pilot key {sealed.key_id}, but no key file was found; "
            f"set {keys.KEY_ENV} to its path. Nothing was written."
        )
        keys.bind(con, wrong)
        with pytest.raises(audit.KeyProblem) as raised:
            audit.record(con, "priya", "lead", "test.event", "obj:7")
        assert str(raised.value) == (
            f"the key file {wrong.path} holds key {wrong.key_id}, but this database is sealed "
            f"with key {sealed.key_id}; set {keys.KEY_ENV} to the right file. Nothing was written."
        )
        assert con.execute("SELECT max(seq) FROM audit_events").fetchone() == (6,)


def test_a_keyed_record_macs_its_event_and_moves_the_head_and_its_witness(chain: Store) -> None:
    from pilot.core import keys

    key = chain.key()
    assert key is not None
    event = chain.write(lambda con: audit.record(con, "sam", "auditor", "test.other", "obj:7"))
    assert (event.seq, event.payload, event.token_id) == (7, {}, None)
    with chain.read() as con:
        sixth = con.execute("SELECT hash FROM audit_events WHERE seq = 6").fetchone()[0]
        stored = con.execute(
            "SELECT payload, prev_hash, hash, mac FROM audit_events WHERE seq = 7"
        ).fetchone()
        assert stored == ("{}", sixth, event.hash, audit.event_mac(key, event.hash))
        assert audit.keyed_head(con) == (
            7,
            event.hash,
            1,
            key.key_id,
            audit.head_mac(key, 7, event.hash, 1),
        )
    assert keys.read_witness(key) == (7, event.hash)


def test_a_chain_with_no_key_records_no_mac_and_no_head(store: Store) -> None:
    from pilot.core import keys

    with store.transaction() as con:
        keys.bind(con, None)
        first = audit.record(con, "priya", "lead", "test.event", "obj:1", {"n": 1})
        second = audit.record(con, "priya", "lead", "test.event", "obj:2")
        assert audit.keyed_head(con) is None
        assert con.execute("SELECT seq, mac FROM audit_events ORDER BY seq").fetchall() == [
            (1, None),
            (2, None),
        ]
    assert (first.seq, first.prev_hash, second.prev_hash) == (1, audit.GENESIS, first.hash)
    assert first.hash == audit.event_hash(
        1, first.ts, "priya", "lead", "test.event", "obj:1", '{"n":1}', audit.GENESIS
    )
    with store.read() as con:
        assert audit.verify(con) == audit.Verification(True, 2, head=second.hash)


def test_an_event_hash_is_sha256_of_its_fields_as_sorted_compact_json() -> None:
    """The hash format is a contract (a verifier outside the kit, databases written before
    tokens), so it is pinned against JSON written out by hand, not against `event_hash`
    itself: sorted keys, no spaces, the payload as its JSON text, `token_id` only when set."""
    import hashlib

    prev = "ab" * 32
    fields = (
        '"action":"run.start","actor":"priya","object":"run:1","payload":"{\\"n\\":1}",'
        f'"prev_hash":"{prev}","role":"lead","seq":4'
    )
    ts = '"ts":"2026-01-02T03:04:05.000006Z"'
    untokened = hashlib.sha256(("{" + fields + "," + ts + "}").encode()).hexdigest()
    tokened = hashlib.sha256(
        ("{" + fields + ',"token_id":"tok-1",' + ts + "}").encode()
    ).hexdigest()
    args = (4, "2026-01-02T03:04:05.000006Z", "priya", "lead", "run.start", "run:1", '{"n":1}')
    assert audit.event_hash(*args, prev) == untokened
    assert audit.event_hash(*args, prev, None) == untokened
    assert audit.event_hash(*args, prev, "tok-1") == tokened


def test_event_times_are_utc_to_the_microsecond_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re
    import time
    from datetime import UTC, datetime

    monkeypatch.setenv("TZ", "America/New_York")  # never UTC: no summer time of zero offset
    time.tzset()
    try:
        before = datetime.now(UTC)
        stamp = audit.utc_now()
        after = datetime.now(UTC)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp)
    read = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert before <= read <= after


def test_a_walk_from_a_known_intact_prefix_starts_at_its_hash(chain: Store) -> None:
    """`since` (N, HASH): events 1..N are taken as walked; the walk starts after event N, from
    HASH, so event N+1 must link to it. With event N's own hash the verdict is the full walk's;
    with another (the file replaced since the prefix was walked) the chain breaks at N+1."""
    with chain.read() as con:
        third = con.execute("SELECT hash FROM audit_events WHERE seq = 3").fetchone()[0]
        assert audit.verify(con, since=(3, third)) == audit.verify(con)
        assert audit.verify(con, since=(3, "a" * 64)) == audit.Verification(
            False, 6, 4, "its previous-hash does not match the event before it", keyed=False
        )
