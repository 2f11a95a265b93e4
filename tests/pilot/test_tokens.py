"""Issue 9, finding 4 and CLI identity: tokens, not names; owner-only files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store

from pilot.core import access, audit, tokens
from pilot.core.errors import PermissionDenied
from pilot.core.store import Store

PILOT = str(Path(sys.executable).parent / "pilot")
ROOT = Path(__file__).resolve().parents[2]


def pilot(
    db: Path, *args: str, token: str | None = None, umask: int = 0o022
) -> subprocess.CompletedProcess:
    """The real `pilot` executable, started with a permissive umask like a default shell."""
    env = {k: v for k, v in os.environ.items() if k not in {"PILOT_TOKEN", "PILOT_USER"}}
    env["PYTHONPATH"] = str(ROOT)
    if token:
        env["PILOT_TOKEN"] = token
    return subprocess.run(
        [PILOT, "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(umask),
    )


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_finding_4_a_name_alone_grants_nothing_and_files_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    done = pilot(db, "init", "--admin", "ada", "--json")
    assert done.returncode == 0, done.stderr
    init = json.loads(done.stdout)
    assert init["admin"] == "ada" and init["token"].startswith("pk_")
    assert mode(db) == 0o600 and mode(Path(f"{db}.key")) == 0o600  # umask was 022
    assert mode(Path(f"{db}.key.head")) == 0o600

    # the finding: `pilot --user ada ...` acted as admin with no secret
    denied = pilot(db, "--user", "ada", "user", "add", "mallory", "--role", "admin")
    assert denied.returncode == 4 and "grants nothing without a token" in denied.stderr
    with Store(db).read() as con:
        assert [u["name"] for u in access.list_users(con)] == ["ada"]

    ok = pilot(db, "user", "add", "priya", "--role", "lead", token=init["token"])
    assert ok.returncode == 0, ok.stderr
    wrong_name = pilot(db, "--user", "priya", "kill", "--reason", "x", token=init["token"])
    assert wrong_name.returncode == 4 and "belongs to ada" in wrong_name.stderr
    killed = pilot(db, "kill", "--reason", "drill", "--test", token=init["token"])
    assert killed.returncode == 0 and mode(Path(f"{db}.kill")) == 0o600
    assert pilot(db, "--user", "ada", "user", "list", token="pk_000000000000_guess").returncode == 4


def test_the_wal_is_owner_only_in_a_cli_process(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    script = (
        "import os, sys, duckdb\n"
        "os.umask(0o022)\n"
        "from pilot.cli import main\n"
        "try:\n"
        f"    main(['--db', {str(db)!r}, 'init'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"con = duckdb.connect({str(db)!r})\n"
        "con.execute('CREATE TABLE t (x INTEGER)')\n"
        "con.execute('INSERT INTO t VALUES (1)')\n"
        f"print(oct(os.stat({str(db)!r} + '.wal').st_mode & 0o777))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "0o600", done.stderr


def test_a_new_database_is_owner_only_from_the_library_too(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        store = Store(tmp_path / "lib.duckdb")
        with store.read():
            pass
    finally:
        os.umask(previous)
    assert mode(store.path) == 0o600 and mode(store.key_path) == 0o600


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return seeded_store(tmp_path / "p.duckdb").path


def test_tokens_are_hashed_shown_once_and_named_in_events(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "--db", str(db), "--user", "priya", "token", "create", "--json"
    )
    assert code == 0, err
    issued = json.loads(out)
    store = Store(db)
    with store.read() as con:
        stored = con.execute(
            "SELECT secret_sha256 FROM access_tokens WHERE token_id = ?", [issued["id"]]
        ).fetchone()[0]
        dump = json.dumps(con.execute("SELECT * FROM audit_events").fetchall(), default=str)
    assert stored == hashlib.sha256(issued["token"].encode()).hexdigest()
    assert issued["token"] not in dump and issued["token"].split("_")[-1] not in dump
    code, out, _ = run_cli(capsys, "--db", str(db), "--user", "priya", "token", "list", "--json")
    listed = json.loads(out)["tokens"]
    assert {t["id"] for t in listed} >= {issued["id"]} and "token" not in listed[0]
    assert all(t["user"] == "priya" for t in listed)  # not an admin: only her own

    actor = tokens.authenticate_token(store, issued["token"])
    assert actor == access.Actor("priya", "lead", issued["id"])
    from pilot.core import killswitch

    killswitch.engage(store, actor, "drill", test=True)
    with store.read() as con:
        last = audit.events(con, limit=1)[0]
    assert last.action == "kill.engage" and last.token_id == issued["id"]


def test_a_runner_token_may_only_run(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(db)
    runner = tokens.create_token(store, "priya", role="runner", name="ci", days=30)
    assert runner.expires_at and runner.role == "runner"
    actor = tokens.authenticate_token(store, runner.secret)
    from pilot.core import killswitch

    with pytest.raises(PermissionDenied, match="runner"):
        killswitch.engage(store, actor, "no")
    with store.read() as con:
        assert access.require(con, actor, "run").role == "runner"
        with pytest.raises(PermissionDenied):
            access.require(con, actor, "edit_pilot")
    # a role above the user's is refused: a viewer cannot mint a lead token
    code, _, err = run_cli(
        capsys, "--db", str(db), "--user", "dana", "token", "create", "--role", "lead"
    )
    assert code == 2 and "lead is higher than" in err and "(viewer)" in err
    # an evaluator cannot mint tokens for someone else
    code, _, err = run_cli(
        capsys, "--db", str(db), "--user", "marco", "token", "create", "--user", "priya"
    )
    assert code == 4


def test_revoked_expired_and_demoted_tokens_stop_working(db: Path) -> None:
    store = Store(db)
    revoked = tokens.create_token(store, "priya")
    expired = tokens.create_token(store, "priya", days=1)
    demoted = tokens.create_token(store, "priya")
    tokens.revoke_token(store, "priya", revoked.token_id)
    with store.transaction() as con:
        con.execute(
            "UPDATE access_tokens SET expires_at = '2020-01-01T00:00:00.000000Z' "
            "WHERE token_id = ?",
            [expired.token_id],
        )
    for dead in (revoked, expired):
        with pytest.raises(PermissionDenied, match="revoked, expired"):
            tokens.authenticate_token(store, dead.secret)
    actor = tokens.authenticate_token(store, demoted.secret)
    access.set_role(store, "ada", "priya", "viewer")  # the token said lead
    with pytest.raises(PermissionDenied, match="revoked, expired"):
        tokens.authenticate_token(store, demoted.secret)
    with store.read() as con, pytest.raises(PermissionDenied):
        access.require(con, actor, "read")  # an actor already handed out is re-checked
    with pytest.raises(PermissionDenied, match="unknown token or wrong secret"):
        tokens.authenticate_token(store, demoted.secret[:-2] + "xx")
    with pytest.raises(PermissionDenied, match="no token"):
        tokens.authenticate_token(store, None)


def test_pilot_demo_prints_working_tokens_and_its_database_verifies(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    done = pilot(db, "demo", "--json")
    assert done.returncode == 0, done.stderr
    demo = json.loads(done.stdout)
    assert set(demo["tokens"]) == {a["name"] for a in demo["accounts"]}
    verify = pilot(db, "audit", "verify", "--json", token=demo["tokens"]["sam"])
    report = json.loads(verify.stdout)
    assert verify.returncode == 0 and report["intact"] and report["keyed"], verify.stdout
    assert report["checked"]["runs"] >= 1 and report["checked"]["bar versions"] >= 1
    assert pilot(db, "--user", "ada", "token", "list", token=demo["tokens"]["dana"]).returncode == 4
