"""`pilot run pin`, `pilot promote`, `pilot demote` through the CLI with personal tokens."""

from __future__ import annotations

import json

import pytest
from helpers import run_cli
from readiness_data import run

from pilot.core.store import Store


def test_pin_promote_demote_cli(pilot_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(pilot_store.path)
    code, out, _ = run_cli(capsys, "--db", db, "--user", "priya", "promote", "--json")
    assert code == 1 and out == ""  # gate not met: exit 1, nothing changed
    good = run(capsys, pilot_store, "fake_systems:good")
    code, _, _ = run_cli(capsys, "--db", db, "--user", "marco", "run", "pin", good)
    assert code == 4
    code, out, err = run_cli(capsys, "--db", db, "--user", "priya", "run", "pin", good, "--json")
    assert code == 0, err
    pinned = json.loads(out)
    assert pinned["run_id"] == good and pinned["pinned"] and pinned["passed"]
    code, _, _ = run_cli(capsys, "--db", db, "--user", "priya", "run", "pin", "run-nope")
    assert code == 2
    code, _, _ = run_cli(capsys, "--db", db, "--user", "ada", "promote")
    assert code == 4
    code, out, err = run_cli(capsys, "--db", db, "--user", "priya", "promote", "--json")
    assert code == 0, err
    assert json.loads(out)["to_stage"] == 1
    code, out, _ = run_cli(capsys, "--db", db, "--user", "dana", "readiness", "--json")
    data = json.loads(out)
    assert code == 0 and data["stage"] == 1 and data["run_of_record"]["run_id"] == good
    assert {i["name"] for i in data["scorecard"]} >= {"Data boundary", "A way to stop it"}
    code, out, err = run_cli(capsys, "--db", db, "--user", "priya", "demote", "--reason",
                             "drill", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["to_stage"] == 0
