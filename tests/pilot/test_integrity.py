"""Issue 9, findings 1-3: tampering with what a figure rests on is caught, with the pilot key.

Each attack is carried out as the finding describes, by someone who can write the database file
but cannot read the key: edit the rows and recompute every hash that needs no secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store, token_for, write_cases

from pilot.core import audit, keys
from pilot.core.access import Actor
from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.define.bar_versions import save_draft, sign_bar, signature_hash
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.runs.finish import finish_run
from pilot.runs.integrity import TamperedRecord
from pilot.runs.start import prepare_run


@pytest.fixture
def pilot(tmp_path: Path) -> Store:
    """Leave golden set (40 cases) and a signed bar: accuracy at least 0.99 on the point value."""
    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 40), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.99, judged_on="point"),),
        min_cases=20,
        max_critical_errors=40,
        when_unsure="hand over to HR",
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    return store


def cli(capsys: pytest.CaptureFixture[str], store: Store, user: str, *args: str) -> tuple:
    return run_cli(capsys, "--db", str(store.path), "--user", user, *args)


def lower_signed_threshold(store: Store, threshold: float) -> None:
    """Finding 1: edit the signed bar, then recompute its content and signature hashes."""
    with store.transaction() as con:
        raw, signer, signed_at = con.execute(
            "SELECT bar, signed_by, signed_at FROM bar_versions WHERE version = 1"
        ).fetchone()
        bar = json.loads(raw)
        bar["criteria"][0]["threshold"] = threshold
        digest = AcceptanceBar.model_validate(bar).content_hash
        con.execute(
            "UPDATE bar_versions SET bar = ?, content_hash = ?, signature_hash = ? "
            "WHERE version = 1",
            [json.dumps(bar), digest, signature_hash(1, digest, signer, signed_at)],
        )


def test_finding_1_a_resigned_bar_edit_cannot_turn_the_gate_green(
    pilot: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run = ("run", "--goldenset", "leave", "--system", "fake_systems:eighth_right", "--json")
    code, out, err = cli(capsys, pilot, "priya", *run)
    assert code == 1, err  # the honest gate: accuracy 0.125 is far below 0.99
    assert json.loads(out)["metrics"]["accuracy"]["value"] == pytest.approx(0.125)

    lower_signed_threshold(pilot, 0.10)
    code, out, _ = cli(capsys, pilot, "dana", "bar", "show")
    assert out.startswith("NOT TRUSTED: bar v1: criteria changed after it was signed by priya")
    code, out, err = cli(capsys, pilot, "priya", *run)
    assert code == 2 and out == ""
    assert "refusing to score: bar v1: criteria changed after it was signed by priya" in err
    with pilot.read() as con:  # the refused run made no new finished run
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'finished'").fetchone()[0] == 1

    code, out, _ = cli(capsys, pilot, "sam", "audit", "verify", "--json")
    report = json.loads(out)
    assert code == 1 and not report["intact"] and report["keyed"]
    assert report["first_bad_record"].startswith("bar v1: criteria changed after it was signed")


def test_finding_1_a_run_started_before_the_edit_is_refused_at_scoring(pilot: Store) -> None:
    run_id = prepare_run(pilot, "priya", goldenset="leave", config=SystemConfig(kind="offline"))
    lower_signed_threshold(pilot, 0.10)
    with pytest.raises(TamperedRecord, match="criteria changed after it was signed by priya"):
        finish_run(pilot, Actor("priya", "lead"), run_id)


def test_finding_1_an_edited_golden_set_is_refused(
    pilot: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    with pilot.transaction() as con:
        con.execute("UPDATE golden_cases SET expected_answer = '20 days' WHERE case_id = 'c-000'")
    code, _, err = cli(capsys, pilot, "priya", "run", "--goldenset", "leave")
    assert code == 2 and "golden set leave version" in err and "cases changed" in err


def test_finding_2_flipped_results_are_named_by_verify(
    pilot: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(
        capsys,
        pilot,
        "priya",
        "run",
        "--goldenset",
        "leave",
        "--system",
        "fake_systems:good",
        "--json",
    )
    assert code == 0, err  # right on every case: the bar is met
    run_id = json.loads(out)["run_id"]
    code, _, _ = cli(capsys, pilot, "sam", "audit", "verify")
    assert code == 0
    with pilot.transaction() as con:
        con.execute(
            "UPDATE results SET correct = NOT correct WHERE run_id = ? AND case_id IN "
            "(SELECT case_id FROM results WHERE run_id = ? ORDER BY case_id LIMIT 40)",
            [run_id, run_id],
        )
    code, out, _ = cli(capsys, pilot, "sam", "audit", "verify")
    assert code == 1
    assert f"run {run_id}: results changed after it finished (digest" in out


# --- finding 3: the chain itself, rewritten by someone without the key ----------------------


def rehash_from(con: object, start: int) -> None:
    """What a forger does after editing: recompute every hash from `start` on (no key needed)."""
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT seq, ts, actor, role, action, object, payload, token_id FROM audit_events "
        "WHERE seq >= ? ORDER BY seq",
        [start],
    ).fetchall()
    prev = con.execute(  # type: ignore[attr-defined]
        "SELECT hash FROM audit_events WHERE seq = ?", [start - 1]
    ).fetchone()
    prev = prev[0] if prev else audit.GENESIS
    for seq, ts, actor, role, action, obj, payload, token_id in rows:
        digest = audit.event_hash(seq, ts, actor, role, action, obj, payload, prev, token_id)
        con.execute(  # type: ignore[attr-defined]
            "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?", [prev, digest, seq]
        )
        prev = digest
    con.execute(  # type: ignore[attr-defined]
        "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_events), hash = ?", [prev]
    )


def both_ways(store: Store) -> tuple[audit.Verification, audit.Verification]:
    with store.read() as con:
        return audit.verify(con), audit.verify(con, None, store.key())


def test_finding_3_full_rewrite_verifies_without_the_key_but_not_with_it(pilot: Store) -> None:
    with pilot.transaction() as con:
        con.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
        rehash_from(con, 2)
    unkeyed, keyed = both_ways(pilot)
    assert unkeyed.intact  # what the finding saw: hashes alone prove nothing
    assert not keyed.intact and keyed.first_bad == 2 and "MAC" in keyed.reason


def test_finding_3_renumbered_deletion_is_caught(pilot: Store) -> None:
    with pilot.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq = 3")
        con.execute("UPDATE audit_events SET seq = seq - 1 WHERE seq > 3")
        rehash_from(con, 3)
    unkeyed, keyed = both_ways(pilot)
    assert unkeyed.intact
    assert not keyed.intact and keyed.first_bad == 3


def test_finding_3_tail_deletion_is_caught_by_the_keyed_head_and_its_witness(
    pilot: Store,
) -> None:
    with pilot.read() as con:
        n = audit.verify(con, None, pilot.key()).events
        old_head = con.execute("SELECT * FROM audit_head").fetchone()
    pilot.write(lambda con: audit.record(con, "priya", "lead", "later", "obj:1"))
    pilot.write(lambda con: audit.record(con, "priya", "lead", "later", "obj:2"))
    with pilot.transaction() as con:
        con.execute("DELETE FROM audit_events WHERE seq > ?", [n])
    unkeyed, keyed = both_ways(pilot)
    assert unkeyed.intact
    assert not keyed.intact and "truncated" in keyed.reason

    # pointing the head at the new end needs the key ...
    with pilot.transaction() as con:
        rehash_from(con, n)
    assert "head record was altered" in both_ways(pilot)[1].reason
    # ... and replaying a head copied earlier is caught by the witness kept beside the key
    with pilot.transaction() as con:
        con.execute("DELETE FROM audit_head")
        con.execute("INSERT INTO audit_head VALUES (?, ?, ?, ?, ?, ?)", list(old_head))
    keyed = both_ways(pilot)[1]
    assert not keyed.intact and "head witness beside the key" in keyed.reason


def test_a_database_without_its_key_says_so_and_verify_exits_1(
    pilot: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    token_for(pilot.path, "sam")  # made while the key is there: without it nothing is written
    saved = pilot.key_path.read_bytes()
    pilot.key_path.unlink()
    code, out, _ = cli(capsys, pilot, "sam", "audit", "verify")
    assert code == 1 and "NO PILOT KEY" in out
    with pytest.raises(audit.KeyProblem, match="sealed with pilot key"):  # and writes nothing
        pilot.write(lambda con: audit.record(con, "priya", "lead", "x", "y"))
    pilot.key_path.write_bytes(saved)
    assert cli(capsys, pilot, "sam", "audit", "verify")[0] == 0


def test_key_rotation_reseals_and_is_recorded(
    pilot: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    old = pilot.key()
    code, out, err = cli(capsys, pilot, "ada", "key", "rotate", "--json")
    assert code == 0, err
    new = pilot.key()
    assert old and new and json.loads(out)["key_id"] == new.key_id != old.key_id
    assert pilot.key_path.stat().st_mode & 0o777 == 0o600
    with pilot.read() as con:
        last = audit.events(con, limit=1)[0]
        assert audit.verify(con, None, new).intact
        assert not audit.verify(con, None, old).intact  # the old key no longer verifies it
    assert last.action == "key.rotate" and last.actor == "ada" and last.token_id
    assert last.payload["from"] == old.key_id and last.payload["to"] == new.key_id
    assert cli(capsys, pilot, "priya", "key", "rotate")[0] == 4  # admins only


def test_a_database_made_before_keys_reports_unkeyed_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration: events written before any key exist; `pilot init` adds the key."""
    store = seeded_store(tmp_path / "old.duckdb")
    with store.transaction() as con:  # make it look as it did before m007: no MACs, no head
        con.execute("UPDATE audit_events SET mac = NULL")
        con.execute("DELETE FROM audit_head")
    store.key_path.unlink()
    keys.witness_path(keys.PilotKey(b"x" * 32, store.key_path)).unlink()
    code, out, _ = run_cli(capsys, "--db", str(store.path), "init", "--json")
    assert code == 0 and json.loads(out)["key_created"] and json.loads(out)["token"] is None
    first = json.loads(out)["first_keyed_event"]
    assert first == 6  # five users were added before the key
    code, out, _ = cli(capsys, store, "sam", "audit", "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["unkeyed_before"] == 6
    assert report["notes"][0].startswith("unkeyed records before event 6")
    # the first keyed event pins the ones before it: editing one now shows
    with store.transaction() as con:
        con.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
        rehash_from(con, 2)
    with store.read() as con:
        assert not audit.verify(con, None, store.key()).intact
