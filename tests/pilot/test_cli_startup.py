"""The CLI starts fast (issue #14): `import pilot.cli`, `pilot --help` and `pilot kill --help`
load none of the heavy libraries, and every command is registered in the lazy table."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("duckdb", "polars", "pyarrow", "anthropic", "plotly", "streamlit", "pydantic", "numpy")
PROBE = """
import json, sys
from pilot.cli import main
argv = json.loads(sys.argv[1])
if argv is not None:
    try:
        main(argv)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)))
"""


def loaded_after(argv: list[str] | None) -> list[str]:
    """The heavy top-level packages in `sys.modules` after `pilot ARGV` (None: the import)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv", [None, ["--help"], ["kill", "--help"], ["run", "--help"], ["bar", "--help"]]
)
def test_startup_loads_no_heavy_library(argv: list[str] | None) -> None:
    assert loaded_after(argv) == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check can fail: a command that opens the database does load DuckDB."""
    assert "duckdb" in loaded_after(["--db", "/nonexistent/dir/x.duckdb", "audit", "log"])


def test_every_command_module_is_in_the_lazy_table() -> None:
    from pilot.cli.base import COMMANDS, cli

    for path in sorted((ROOT / "pilot" / "cli").glob("*_cmds.py")):
        importlib.import_module(f"pilot.cli.{path.stem}")
    ctx = click.Context(cli)
    for name, command in cli.commands.items():  # those a module attached with `@cli.command`
        assert name in COMMANDS, f"`pilot {name}` is missing from pilot.cli.base.COMMANDS"
        assert cli.get_command(ctx, name) is command
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name


FROZEN_AT_EXIT = """
import atexit, gc, sys
atexit.register(lambda: print("frozen", gc.get_freeze_count()))  # runs after pilot's handlers
print("before", gc.get_freeze_count())
from pilot.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print("after main", gc.get_freeze_count())
"""


def test_objects_are_frozen_before_the_interpreter_exits() -> None:
    """The interpreter's last collection at exit skips what `pilot` loaded (after the
    anthropic SDK's import it walked every object for over a second on a loaded machine);
    nothing is frozen while the command runs, so a test calling `main` keeps its GC."""
    done = subprocess.run(
        [sys.executable, "-c", FROZEN_AT_EXIT],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    marks = ("before ", "after main ", "frozen ")
    counts = {
        line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1]
        for line in done.stdout.splitlines()
        if line.startswith(marks)
    }
    assert counts["before"] == "0" and counts["after main"] == "0"
    assert int(counts["frozen"]) > 1000
