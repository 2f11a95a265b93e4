"""Promotion (lead only, gate met, evidence hashed into the audit chain), demotion, rollback,
monitoring, the readiness CLI, and the guard against the kill switch."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from helpers import run_cli
from readiness_data import add_graded, run

import pilot
from pilot.core import audit, killswitch
from pilot.core.errors import Halted, InputError, PermissionDenied
from pilot.core.store import Store
from pilot.readiness.decisions import GateNotMet, demote, monitoring, promote, rollback
from pilot.readiness.stages import current_stage, stage_file


def stage_of(store: Store) -> int:
    with store.read() as con:
        return current_stage(con)


def test_promotion_needs_evidence_and_a_lead(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(GateNotMet, match="run of record"):
        promote(pilot_store, "priya")
    assert stage_of(pilot_store) == 0 and not stage_file(pilot_store).exists()
    run(capsys, pilot_store, "fake_systems:good")
    for who in ("ada", "marco", "dana", None):  # admin, evaluator, viewer, nobody
        with pytest.raises(PermissionDenied):
            promote(pilot_store, who)
    assert stage_of(pilot_store) == 0
    change = promote(pilot_store, "priya", "golden set passes")
    assert (change.from_stage, change.to_stage, change.by) == (0, 1, "priya")
    with pilot_store.read() as con:
        stored = con.execute(
            "SELECT evidence, evidence_hash FROM stage_changes WHERE seq = ?", [change.seq]
        ).fetchone()
        event = audit.events(con, action="stage.promote")[0]
        assert audit.verify(con, key=pilot_store.key()).intact
    assert hashlib.sha256(stored[0].encode()).hexdigest() == stored[1] == change.evidence_hash
    evidence = json.loads(stored[0])
    assert evidence["gate"]["met"] and evidence["gate"]["from_stage"] == 0
    assert event.payload["evidence_hash"] == stored[1]
    assert event.payload["evidence"]["gate"]["requirements"][0]["met"]
    # the stage file the guard reads: owner-only, the new stage
    path = stage_file(pilot_store)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["stage"] == 1
    # 1 → 2 is not met (nothing graded): refused, unchanged
    with pytest.raises(GateNotMet, match="enough live outputs"):
        promote(pilot_store, "priya")
    assert stage_of(pilot_store) == 1


def test_demotion_needs_no_gate_but_a_lead_and_a_reason(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, pilot_store, "fake_systems:good")
    promote(pilot_store, "priya")
    with pytest.raises(InputError, match="--reason"):
        demote(pilot_store, "priya", " ")
    with pytest.raises(PermissionDenied):
        demote(pilot_store, "ada", "admin tries")
    with pytest.raises(InputError, match="below the current stage"):
        demote(pilot_store, "priya", "up?", to_stage=2)
    change = demote(pilot_store, "priya", "critical error on leave")
    assert (change.from_stage, change.to_stage) == (1, 0)
    assert json.loads(stage_file(pilot_store).read_text())["stage"] == 0


def test_monitoring_flips_to_at_risk_and_cli_exits_1(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, pilot_store, "fake_systems:good")
    db = str(pilot_store.path)
    add_graded(pilot_store, stage=1, n=20, correct=20, week="2026-W40")
    with pilot_store.read() as con:  # stage 0: live figures do not put it at risk
        assert not monitoring(con)["at_risk"]
    promote(pilot_store, "priya")
    code, out, _ = run_cli(capsys, "--db", db, "--user", "dana", "readiness", "--json")
    data = json.loads(out)
    assert code == 0 and not data["at_risk"] and data["stage"] == 1
    assert [g["from_stage"] for g in data["gates"]] == [0, 1, 2]
    assert data["next_gate"]["from_stage"] == 1
    for r in data["next_gate"]["requirements"]:
        assert {"value", "low", "high", "threshold", "status", "missing"} <= set(r)
    add_graded(pilot_store, stage=1, n=20, correct=15, week="2026-W41", prefix="w41")  # 75%
    code, out, _ = run_cli(capsys, "--db", db, "--user", "dana", "readiness", "--json")
    data = json.loads(out)
    assert code == 1 and data["at_risk"]
    assert data["risk_reasons"] == ["live accuracy in 2026-W41 is below the bar (15 of 20 correct)"]
    add_graded(pilot_store, stage=1, n=20, correct=20, week="2026-W42", prefix="w42")
    with pilot_store.read() as con:
        assert not monitoring(con)["at_risk"]
    add_graded(pilot_store, stage=1, n=50, correct=49, critical=1, week="2026-W43", prefix="c")
    with pilot_store.read() as con:
        watch = monitoring(con)
    assert watch["at_risk"] and watch["reasons"] == ["1 critical error(s) graded in 2026-W43"]


def test_guard_follows_stage_and_kill_switch(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    db = pilot_store.path
    d = pilot.guard("send_reply", db=db)
    assert d.stage == 0 and not d.allowed and not d.proceed_alone
    run(capsys, pilot_store, "fake_systems:good")
    promote(pilot_store, "priya")
    d = pilot.guard("send_reply", db=db)
    assert d.stage == 1 and d.allowed and d.needs_approval and not d.proceed_alone

    def at_stage(con) -> None:  # type: ignore[no-untyped-def]
        con.execute("UPDATE stage_changes SET to_stage = 3")

    pilot_store.write(at_stage)  # the guard reads the file, not the database...
    assert pilot.guard("send_reply", db=db).stage == 1
    from pilot.readiness.stages import write_stage_file

    write_stage_file(pilot_store)  # ...which every stage change rewrites
    routine = pilot.guard("send_reply", db=db)
    consequential = pilot.guard("pay_claim", consequential=True, db=db)
    assert routine.proceed_alone and not routine.needs_approval
    assert consequential.needs_approval and not consequential.proceed_alone
    killswitch.engage(pilot_store, "ada", "drill")
    with pytest.raises(Halted):
        pilot.guard("send_reply", db=db)
    with pytest.raises(PermissionDenied):  # resume needs a lead
        killswitch.release(pilot_store, "ada")
    with pytest.raises(Halted):
        pilot.guard("send_reply", db=db)
    killswitch.release(pilot_store, "priya")
    assert pilot.guard("send_reply", db=db).proceed_alone


def test_production_loop_stops_within_one_call_of_kill(
    pilot_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOT_DB", str(pilot_store.path))
    acted, killed_at = 0, None
    with pytest.raises(Halted):
        for i in range(1000):
            if i == 7:
                code, _, err = run_cli(capsys, "--db", str(pilot_store.path), "--user", "priya",
                                       "kill", "--reason", "wrong answers")  # fmt: skip
                assert code == 0, err
                killed_at = acted
            pilot.guard("draft_reply")  # PILOT_DB: the loop names no database
            acted += 1
    assert killed_at == 7 and acted == 7  # the first call after `pilot kill` raised
    code, _, _ = run_cli(capsys, "--db", str(pilot_store.path), "--user", "ada", "resume")
    assert code == 4
    code, _, _ = run_cli(capsys, "--db", str(pilot_store.path), "--user", "priya", "resume")
    assert code == 0
    assert pilot.guard("draft_reply").stage == 0


def test_rollback_restores_previous_config_and_its_stage(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError, match="no previous system config"):
        rollback(pilot_store, "priya", "nothing to go back to")
    run_a = run(capsys, pilot_store, "fake_systems:good", "--model", "model-a")
    first = promote(pilot_store, "priya")
    demote(pilot_store, "priya", "switching to model b")
    run_b = run(capsys, pilot_store, "fake_systems:good", "--model", "model-b")
    second = promote(pilot_store, "priya")
    assert first.config_version and second.config_version != first.config_version
    with pytest.raises(PermissionDenied):
        rollback(pilot_store, "dana", "viewer")
    code, out, err = run_cli(capsys, "--db", str(pilot_store.path), "--user", "ada", "rollback",
                             "--reason", "model b regressed", "--json")  # fmt: skip
    assert code == 0, err
    change = json.loads(out)
    assert change["kind"] == "rollback" and change["config_version"] == first.config_version
    assert change["to_stage"] == 1 and change["by"] == "ada"
    with pilot_store.read() as con:
        from pilot.readiness.stages import active_config

        assert active_config(con) == first.config_version
        assert audit.events(con, limit=1)[0].action == "stage.rollback"
    assert json.loads(stage_file(pilot_store).read_text())["config_version"] == first.config_version
    # the Runs page's marks: model b's run is on a config rolled back; model a's is of record
    from pilot.readiness.marks import run_marks

    day = change["at"][:10]
    with pilot_store.read() as con:
        marks = run_marks(con)
    assert marks == {
        run_b: f"config rolled back on {day} by ada",
        run_a: f"run of record; config restored by rollback on {day}; "
        "config in production at stage 1 (Draft)",
    }


def test_guard_missing_or_corrupt_stage_file_is_stage_0(tmp_path: os.PathLike[str]) -> None:
    db = os.path.join(tmp_path, "x.duckdb")
    assert pilot.guard("a", db=db).stage == 0
    with open(db + ".stage", "w") as f:
        f.write("{not json")
    assert pilot.guard("a", db=db).stage == 0
