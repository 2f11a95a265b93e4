"""Systems in the app are only those an admin registered (issue 9, finding 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli, seeded_store, token_for, write_cases
from streamlit.testing.v1 import AppTest

from pilot.core import audit
from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.goldensets.versions import import_goldenset
from pilot.runs import jobs
from pilot.runs.start import list_runs
from pilot.runs.systems.registered import find_system, list_systems, register_system

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_only_an_admin_registers_and_it_is_audited(users_store: Store) -> None:
    with pytest.raises(PermissionDenied, match="register the systems the app may run"):
        register_system(users_store, "priya", "fake_systems:good", "team-qa")
    done = register_system(users_store, "ada", "fake_systems:good", "team-qa")
    assert done.target == "fake_systems:good" and done.registered_by == "ada"
    with users_store.read() as con:
        assert [s.name for s in list_systems(con)] == ["team-qa"]
        events = audit.events(con, action="system.register")
    assert len(events) == 1 and events[0].payload["target"] == "fake_systems:good"
    with pytest.raises(InputError, match="already registered"):
        register_system(users_store, "ada", "fake_systems:worse", "team-qa")


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("this", "package.module:function"),
        ("os:system; rm", "package.module:function"),
        ("no_such_module_xyz:f", "cannot import module"),
        ("fake_systems:missing", "has no attribute"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_stored(
    users_store: Store, target: str, says: str
) -> None:
    with pytest.raises(InputError, match=says):
        register_system(users_store, "ada", target, "x")
    with users_store.read() as con:
        assert find_system(con, "x") is None


def test_cli_register_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(seeded_store(tmp_path / "p.duckdb").path)
    base = ["--db", db, "--user"]
    code, _, err = run(
        capsys, *base, "priya", "system", "register", "fake_systems:good", "--name", "qa"
    )
    assert code == 4 and "register the systems" in err
    code, out, _ = run(
        capsys, *base, "ada", "system", "register", "fake_systems:good", "--name", "qa", "--json"
    )
    assert code == 0 and json.loads(out)["target"] == "fake_systems:good"
    code, out, _ = run(capsys, *base, "dana", "system", "list", "--json")
    assert code == 0 and [s["name"] for s in json.loads(out)["systems"]] == ["qa"]


def test_runs_page_offers_registered_systems_and_no_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = seeded_store(tmp_path / "app.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 8), name="leave")
    monkeypatch.setenv("PILOT_DB", str(store.path))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth_user"] = "priya"
    at.session_state["auth_role"] = "lead"
    at.run()
    at.switch_page("views/runs.py").run()
    at.radio(key="runs_kind").set_value("callable").run()
    assert not at.exception
    # no free text that names code: nothing registered, nothing to start
    assert not [t for t in at.text_input if t.key == "runs_target"]
    assert at.selectbox(key="runs_registered").options == []
    assert at.button(key="runs_start").disabled

    register_system(store, "ada", "fake_systems:good", "team-qa")
    at.run()
    assert at.selectbox(key="runs_registered").options == ["team-qa"]
    at.selectbox(key="runs_registered").set_value("team-qa").run()
    assert not at.button(key="runs_start").disabled
    at.button(key="runs_start").click().run()
    assert not at.exception
    run_id = at.session_state["runs_selected"]
    jobs.wait(run_id, timeout=60)
    with store.read() as con:
        (listed,) = [r for r in list_runs(con) if r["run_id"] == run_id]
    assert listed["status"] == "finished"


def test_cli_runs_only_registered_systems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pilot run --system module:function` (or a --config naming a target) imports nothing an
    admin did not register: exit 2 naming the flag; registered, it runs by name. (`main` is
    called directly: `run_cli` registers test targets on the fly.)"""
    from pilot.cli import main

    store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 8), name="leave")
    db = str(store.path)
    marker = tmp_path / "imported.txt"
    (tmp_path / "sneaky_module_xyz.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
        "def s(request):\n    return {'answer': 'x', 'citations': []}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PILOT_TOKEN", token_for(db, "priya") or "")
    base = ("--db", db, "--user", "priya", "run", "--goldenset", "leave")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"kind": "callable", "target": "sneaky_module_xyz:s"}))
    for flag, value in (
        ("--system", "sneaky_module_xyz:s"),
        ("--system", "this:s"),
        ("--system", "callable"),
        ("--config", str(config)),
    ):
        with pytest.raises(SystemExit) as exc:
            main([*base, flag, value])
        err = capsys.readouterr().err
        named = "sneaky_module_xyz:s" if flag == "--config" else value
        assert exc.value.code == 2, err
        assert f"{flag} {named!r}: not a system an admin registered" in err
    assert not marker.exists(), "the unregistered module was imported"
    with store.read() as con:
        assert list_runs(con) == []

    register_system(store, "ada", "fake_systems:good", "team-qa")
    with pytest.raises(SystemExit) as exc:
        main([*base, "--system", "team-qa", "--json"])
    out, err = capsys.readouterr()
    assert exc.value.code in (0, 1), err
    assert json.loads(out)["manifest"]["system"]["config"]["target"] == "fake_systems:good"
