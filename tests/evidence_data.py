"""The evidence tests' pilot: `pilot demo` run once as a subprocess (the command a person
types), copied per test that changes it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PILOT = shutil.which("pilot", path=str(Path(sys.executable).parent)) or "pilot"


@dataclass(frozen=True)
class Pilot:
    db: Path
    tokens: dict[str, str]

    def run(self, user: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`pilot --db DB ARGS` as `user` (their demo token), in a subprocess."""
        env = {**os.environ, "PILOT_TOKEN": self.tokens[user]}
        return subprocess.run(
            [PILOT, "--db", str(self.db), *args],
            env=env, capture_output=True, text=True, timeout=timeout, cwd=self.db.parent,
        )  # fmt: skip


@pytest.fixture(scope="session")
def demo_pilot(tmp_path_factory: pytest.TempPathFactory) -> Pilot:
    db = tmp_path_factory.mktemp("evidence-demo") / "demo.duckdb"
    done = subprocess.run(
        [PILOT, "--db", str(db), "demo", "--json"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return Pilot(db, json.loads(done.stdout)["tokens"])


@pytest.fixture
def pilot_copy(demo_pilot: Pilot, tmp_path: Path) -> Pilot:
    """The demo pilot's database, key, head witness and stage file, copied: free to change."""
    for path in demo_pilot.db.parent.glob(demo_pilot.db.name + "*"):
        if path.is_file():
            shutil.copy2(path, tmp_path / path.name)
    return Pilot(tmp_path / demo_pilot.db.name, demo_pilot.tokens)
