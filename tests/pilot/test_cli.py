from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from helpers import run_cli, seeded_store

from pilot.cli import cli

README = Path(__file__).resolve().parents[2] / "README.md"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the root group loads its commands lazily
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path + " "))
    return found


def test_every_command_has_help_with_example_and_is_in_readme() -> None:
    readme = README.read_text()
    for path, command in all_commands(cli):
        assert command.help, f"`pilot {path}` has no help"
        if not isinstance(command, click.Group):
            assert "Example:" in command.help, f"`pilot {path}` help has no example"
        assert f"pilot {path}" in readme, f"`pilot {path}` is not in the README"


def test_denied_user_add_exits_4_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "p.duckdb")
    seeded_store(Path(db))
    code, out, err = run(
        capsys, "--db", db, "--user", "marco", "user", "add", "x", "--role", "viewer"
    )
    assert code == 4 and "may not manage users" in err
    code, out, _ = run(capsys, "--db", db, "--user", "ada", "user", "list", "--json")
    assert code == 0
    assert "x" not in {u["name"] for u in json.loads(out)["users"]}


def test_audit_verify_json_and_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "p.duckdb"
    store = seeded_store(db)
    code, out, _ = run(capsys, "--db", str(db), "--user", "sam", "audit", "verify", "--json")
    report = json.loads(out)
    assert code == 0 and report["intact"] and report["keyed"]
    assert report["events"] == 6  # five users added, then sam's token
    assert report["checked"] == {"bar versions": 0, "golden-set versions": 0, "runs": 0}
    with store.transaction() as con:
        con.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    code, out, _ = run(capsys, "--db", str(db), "--user", "sam", "audit", "verify")
    assert code == 1 and "NOT INTACT: audit event 3: its content does not match" in out
    code, _, err = run(capsys, "--db", str(db), "--user", "dana", "audit", "verify")
    assert code == 4


def test_kill_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "p.duckdb"
    seeded_store(db)
    assert run(capsys, "--db", str(db), "--user", "priya", "kill", "--reason", "drill")[0] == 0
    assert run(capsys, "--db", str(db), "--user", "dana", "resume")[0] == 4
    assert run(capsys, "--db", str(db), "--user", "ada", "resume")[0] == 4  # a lead's decision
    assert run(capsys, "--db", str(db), "--user", "priya", "resume")[0] == 0


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "user", "add")
    assert code == 2 and "Missing" in err
