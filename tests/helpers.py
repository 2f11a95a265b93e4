"""Small builders shared by tests: seeded databases and a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from pilot.core import access, tokens
from pilot.core.errors import PilotError
from pilot.core.store import Store

USERS = {
    "ada": "admin",
    "priya": "lead",
    "marco": "evaluator",
    "sam": "auditor",
    "dana": "viewer",
}
PASSWORD = "correct horse battery"


def seeded_store(path: Path) -> Store:
    """A database with one user per role, all with PASSWORD."""
    store = Store(path)
    for name, role in USERS.items():
        access.add_user(store, "ada", name, role, password=PASSWORD)
    return store


def seeded_copy(path: Path) -> Store:
    """`seeded_store`'s database, built once per test session (in the session's temporary
    folder, beside the tests' own: `path` is `tmp_path / NAME`) and copied with its key and
    witness files (`<db>.key`, `<db>.key.head`): the same users and passwords, each test with
    its own file, without hashing five passwords per test (about 1.3 s). Every copy shares one
    key and the same first audit events, so a test comparing two databases' keys needs
    seeded_store."""
    template = path.parent.parent / "seeded-template" / "seeded.duckdb"
    if not template.parent.exists():  # built aside, then renamed: never seen half-built
        building = template.parent.with_name(f"{template.parent.name}.{os.getpid()}")
        building.mkdir()
        seeded_store(building / template.name)
        building.rename(template.parent)
    for source in template.parent.iterdir():
        if source.name.startswith(template.name):
            shutil.copy2(source, path.with_name(path.name + source.name[len(template.name) :]))
    return Store(path)


_TOKENS: dict[tuple[str, str], str] = {}


def token_for(db: str | os.PathLike[str], name: str) -> str | None:
    """A token of `name` (with the user's role), made once per database; None if no such user."""
    store = Store(db)
    cache = (str(store.path), name)
    if cache not in _TOKENS:
        try:
            issued = store.write(
                lambda con: tokens.issue(con, access.Actor(name, "test"), name, None, name="test")
            )
        except PilotError:
            return None
        _TOKENS[cache] = issued.secret
    return _TOKENS[cache]


def register_target(db: str | os.PathLike[str], target: str) -> None:
    """Register a test system (`fake_systems:good`) as the admin ada, once per database: the
    CLI runs only systems an admin registered (issue 9, item 5)."""
    from pilot.runs.systems.registered import list_systems, register_system

    store = Store(db)
    with store.read() as con:
        if target in {s.target for s in list_systems(con)}:
            return
    register_system(store, "ada", target, target.replace(":", "."))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`pilot ARGS` in-process; `--user NAME` in ARGS gets NAME's token in PILOT_TOKEN (the
    CLI's `--user` alone grants nothing), so tests read as the commands a person types."""
    from pilot.cli import main

    argv = list(args)
    token = None
    if "--system" in argv and ":" in argv[argv.index("--system") + 1]:
        db = argv[argv.index("--db") + 1] if "--db" in argv else os.environ.get("PILOT_DB")
        register_target(db or "pilot.duckdb", argv[argv.index("--system") + 1])
    if "--user" in argv:
        name = argv[argv.index("--user") + 1]
        db = argv[argv.index("--db") + 1] if "--db" in argv else os.environ.get("PILOT_DB")
        token = token_for(db or "pilot.duckdb", name)
    saved = os.environ.pop("PILOT_TOKEN", None)
    if token:
        os.environ["PILOT_TOKEN"] = token
    try:
        with pytest.raises(SystemExit) as exc:
            main(argv)
    finally:
        os.environ.pop("PILOT_TOKEN", None)
        if saved is not None:
            os.environ["PILOT_TOKEN"] = saved
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


POLICY = (
    "# Leave policy\n"
    "Employees receive 25 days of annual leave each year.\n"
    "Up to 8 days may be carried over to the next year.\n"
    "Contact hr@northwind.example or call 07700 900123 with questions.\n"
    "Sick pay lasts 12 weeks at full pay.\n"
)


def write_cases(path: Path, n: int = 20) -> Path:
    """A small, valid golden set: answerable leave questions and some unanswerable ones."""
    import json

    questions = [
        (
            "How many days of annual leave do employees receive?",
            "25 days",
            "Employees receive 25 days of annual leave each year.",
        ),
        (
            "How many days can be carried over?",
            "8 days",
            "Up to 8 days may be carried over to the next year.",
        ),
        (
            "How long does sick pay last at full pay?",
            "12 weeks",
            "Sick pay lasts 12 weeks at full pay.",
        ),
        ("What is the parking allowance for visitors?", None, None),
    ]
    lines = []
    for i in range(n):
        q, expected, evidence = questions[i % len(questions)]
        lines.append(
            json.dumps(
                {
                    "id": f"c-{i:03d}",
                    "question": f"{q} (me: jo.bloggs@example.com, 07700 900456) #{i}",
                    "sources": [{"id": "leave", "title": "Leave policy", "text": POLICY}],
                    "expected_answer": expected,
                    "answerable": expected is not None,
                    "evidence": [evidence] if evidence else [],
                    "tags": ["numeric"] if expected else ["unanswerable"],
                    "consequential": i % 4 == 2,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path
