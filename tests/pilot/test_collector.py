"""Issue #14: the `pilot` process pauses the cyclic garbage collector from the start of `pilot
run` to its first result, then freezes what is alive and collects again (`pilot.cli.collector`);
a program that calls `main(argv)` itself (the tests) keeps its collector as it was."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run_cli, seeded_copy, token_for, write_cases

from pilot.cli import collector
from pilot.goldensets.versions import import_goldenset

ROOT = Path(__file__).resolve().parents[2]
# The `pilot` command as its own process; after its last atexit handler (it freezes at exit),
# this prints whether the collector runs and how many objects were frozen at the first result.
SCRIPT = """
import atexit, gc, sys
from pilot.cli import collector, main
seen = {}
resume = collector.Paused.resume
def spying(self):
    if self.paused:
        seen["paused until resumed"] = not gc.isenabled()
    resume(self)
    seen.setdefault("frozen at resume", gc.get_freeze_count())
collector.Paused.resume = spying
atexit.register(lambda: print(gc.isenabled(), seen, file=sys.stderr))
main()
"""


@pytest.fixture
def restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    collector.OWNS_PROCESS = False
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_paused_until_resumed_then_frozen_in_the_pilot_process_only(restored: None) -> None:
    collector.OWNS_PROCESS = False
    assert not collector.Paused().paused and gc.isenabled()  # not our process: left alone
    collector.OWNS_PROCESS = True
    assert not collector.Paused(pause=False).paused and gc.isenabled()  # `--batch`
    paused = collector.Paused()
    assert paused.paused and not gc.isenabled()
    paused.resume()
    assert gc.isenabled() and gc.get_freeze_count() > 0 and not paused.paused
    frozen = gc.get_freeze_count()
    paused.resume()  # a second resume changes nothing
    assert gc.get_freeze_count() == frozen


def test_a_run_in_another_program_leaves_its_collector_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restored: None
) -> None:
    store = seeded_copy(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 6), name="leave")
    frozen = gc.get_freeze_count()
    code, out, err = run_cli(
        capsys, "--db", str(store.path), "--user", "priya", "run", "--goldenset", "leave", "--json"
    )
    assert code in (0, 1), err
    assert json.loads(out)["status"] == "finished"
    assert gc.isenabled() and gc.get_freeze_count() == frozen


@pytest.mark.parametrize("concurrency", ["4", "0"])  # a run, and a command refused at once
def test_the_pilot_process_collects_again_once_its_run_has_a_result_or_ends(
    tmp_path: Path, concurrency: str
) -> None:
    store = seeded_copy(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 6), name="leave")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PILOT_TOKEN": token_for(store.path, "priya")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, "--db", str(store.path), "run", "--goldenset", "leave"]
        + ["--concurrency", concurrency, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = done.stderr.strip().splitlines()[-1]
    if concurrency == "0":
        assert done.returncode == 2 and last.startswith("True {'paused until resumed': True")
        return
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["status"] == "finished"
    enabled, seen = last.split(" ", 1)
    assert enabled == "True"  # collecting again at the end
    assert "'paused until resumed': True" in seen
    frozen = int(seen.split("'frozen at resume': ")[1].rstrip("}"))
    assert frozen > 10_000  # the modules and records alive at the first result
