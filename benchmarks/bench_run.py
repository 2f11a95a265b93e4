"""Fixed cost and CPU per case of `pilot run` against a bare AsyncAnthropic loop (issue #14).

Whole processes against the local Messages API stub, the same requests, in the same run. Rows:

  1. 150 cases, concurrency 32, 200 ms      bare loop vs `pilot run --no-cache` (wall)
  2. 1,000 cases, concurrency 32, 200 ms    bare loop vs `pilot run --no-cache` (wall)
  3. 3,000 cases, concurrency 64, 0 ms      bare loop vs `pilot run --no-cache` (wall and CPU)
  4. fully cached re-run of 1,000 cases     `pilot run` (wall)
  5. `pilot --help`, `pilot kill --help`    (wall; `python -c pass` for reference)
  6. 10,000 cases, concurrency 64, 0 ms     peak RSS of `pilot run --no-cache` and the bare loop

Each timed pair runs `--repeats` times, bare loop and pilot alternating, and prints the median
(and the spread). Children run as an installed kit does: with compiled bytecode (pip compiles it
at install), kept in a scratch `PYTHONPYCACHEPREFIX` and filled by one untimed warm-up of each
command first, so no row times compiling the sources (a shell with PYTHONDONTWRITEBYTECODE=1
would otherwise recompile every pilot module on every start). No assertions: figures go to docs/benchmarks.md, labelled with the load
average printed here (the machine is shared).

    python benchmarks/bench_run.py [--repeats 3] [--rows 1,2,3,4,5,6]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from stub_messages_api import MessagesStub  # noqa: E402

BARE = """
import asyncio, json, sys, anthropic
from pilot.core.models import GoldenCase, SystemConfig, SystemRequest
from pilot.runs.systems.anthropic import request_payload

async def main(path, concurrency):
    config = SystemConfig(kind="anthropic", model="claude-sonnet-4-6")
    cases = [GoldenCase.model_validate_json(line) for line in open(path)]
    client = anthropic.AsyncAnthropic(max_retries=0)
    sem = asyncio.Semaphore(concurrency)
    async def one(case):
        async with sem:
            request = SystemRequest(case_id=case.id, question=case.question, sources=case.sources)
            return await client.messages.create(**request_payload(config, request))
    out = await asyncio.gather(*(one(c) for c in cases))
    print(len(out))

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


# Run in a child with the tree's code on PYTHONPATH: the tree's own database (its migrations),
# users and golden set. The pre-layout tree (before 776156f "Layout by step") has flat modules
# and no tokens; which credential its CLI takes is read from its `--help` (see Tree).
SETUP = """
import json, sys
from pathlib import Path
try:
    from pilot.core import access
    from pilot.core.store import Store
    from pilot.goldensets.versions import import_goldenset
except ImportError:  # the pre-layout tree: flat pilot/ modules
    from pilot import access
    from pilot.store import Store
    from pilot.goldensets import import_goldenset
cases, db, wants_token = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "token"
store = Store(db)
access.add_user(store, None, "admin", "admin")
access.add_user(store, "admin", "lead", "lead")
if wants_token:
    from pilot.core import tokens
    print(json.dumps({"PILOT_TOKEN": tokens.create_token(store, "lead", name="bench").secret}))
else:
    print(json.dumps({"PILOT_USER": "lead"}))
import_goldenset(store, "lead", cases, name="bench")
"""


def make_cases(path: Path, n: int) -> None:
    text = (
        "# Policy\nEmployees receive 25 days of annual leave. Up to 8 days carry over. "
        "Sick pay lasts 12 weeks.\n"
    ) * 3
    with path.open("w") as out:
        for i in range(n):
            out.write(
                json.dumps(
                    {
                        "id": f"b-{i:05d}",
                        "question": f"How many days of annual leave? #{i}",
                        "sources": [{"id": "policy", "title": "Policy", "text": text}],
                        "expected_answer": "25 days",
                        "answerable": True,
                        "evidence": ["Employees receive 25 days of annual leave."],
                        "tags": ["bench"],
                        "consequential": False,
                    }
                )
                + "\n"
            )


@dataclass(frozen=True)
class Usage:
    wall: float
    cpu: float  # user + system seconds of the child
    peak_mb: float  # peak resident set size of the child


def finished(out: bytes) -> bool:
    """`pilot run --json` printed one object for a finished run (exit code 1 is also what an
    uncaught exception gives, so the code alone does not tell a bar not met from a crash)."""
    try:
        summary = json.loads(out)
    except ValueError:
        return False
    return isinstance(summary, dict) and summary.get("status") == "finished"


def measured(cmd: list[str], env: dict[str, str], *, run: bool = False) -> Usage:
    """Wall time, CPU time and peak RSS of one child process (os.wait4: that child only);
    with `run`, a `pilot run --json` that must have finished."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1) or (run and not finished(out)):
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return Usage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


@dataclass(frozen=True)
class Tree:
    """A checkout whose `pilot run` is timed; `path` None is the code this script imports."""

    path: str | None
    token: bool  # its CLI acts through PILOT_TOKEN (else PILOT_USER names the actor)

    @property
    def label(self) -> str:
        return self.path or "this tree"


class Bench:
    def __init__(self, folder: Path, repeats: int, baselines: list[str]) -> None:
        self.folder, self.repeats = folder, repeats
        self.pilot = str(Path(sys.executable).parent / "pilot")
        self.stubs: dict[float, MessagesStub] = {}
        self.cases: dict[int, Path] = {}
        self.dbs: dict[tuple[int, str | None], tuple[Path, dict[str, str]]] = {}
        self.pycache = folder / "pycache"  # compiled bytecode of every child, as installed
        self.warmed = False
        self.current = self.tree(None)
        self.baselines = [self.tree(path) for path in baselines]

    def tree(self, path: str | None) -> Tree:
        """The tree's credential, read from what its CLI says it accepts."""
        helptext = subprocess.run(
            [self.pilot, "--help"], env=self.child_env(path), capture_output=True, text=True
        ).stdout
        return Tree(path, "PILOT_TOKEN" in helptext)

    def child_env(
        self, tree: str | None = None, extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        env = {**os.environ, **(extra or {}), "PYTHONPYCACHEPREFIX": str(self.pycache)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if tree:
            env["PYTHONPATH"] = tree
        return env

    def warm(self) -> None:
        """One untimed run of each command (bare loop, `pilot run`, each tree) fills the
        bytecode cache, as an install would have."""
        if self.warmed:
            return
        self.warmed = True
        self.bare(150, 32, 0.0)
        for tree in [self.current, *self.baselines]:
            self.run(150, 32, 0.0, tree=tree)
            measured([self.pilot, "--help"], self.child_env(tree.path))

    def stub(self, latency: float) -> MessagesStub:
        if latency not in self.stubs:
            self.stubs[latency] = MessagesStub(latency=latency).start()
        return self.stubs[latency]

    def golden(self, n: int) -> Path:
        if n not in self.cases:
            self.cases[n] = self.folder / f"cases-{n}.jsonl"
            make_cases(self.cases[n], n)
        return self.cases[n]

    def db(self, n: int, tree: Tree) -> tuple[Path, dict[str, str]]:
        """The tree's own database with a golden set of n cases, and its lead's credential."""
        key = (n, tree.path)
        if key not in self.dbs:
            folder = self.folder / f"n{n}-{len(self.dbs)}"
            folder.mkdir()
            db = folder / "bench.duckdb"
            # -P: the working directory is not on sys.path, so the tree's code is what imports
            cmd = [sys.executable, "-P", "-c", SETUP, str(self.golden(n)), str(db)]
            done = subprocess.run(
                [*cmd, "token" if tree.token else "user"],
                env=self.child_env(tree.path),
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(f"setup of {tree.label} failed: {done.stderr[-2000:]}")
            self.dbs[key] = (db, json.loads(done.stdout.strip().splitlines()[-1]))
        return self.dbs[key]

    def env(self, n: int, latency: float, tree: Tree) -> dict[str, str]:
        db, credential = self.db(n, tree)
        extra = {
            "ANTHROPIC_API_KEY": "bench-key",
            "ANTHROPIC_BASE_URL": self.stub(latency).base_url,
            "PILOT_DB": str(db),
            **credential,
        }
        return self.child_env(tree.path, extra)

    def bare(self, n: int, c: int, latency: float) -> Usage:
        env = self.env(n, latency, self.current)
        return measured([sys.executable, "-P", "-c", BARE, str(self.golden(n)), str(c)], env)

    def run(
        self, n: int, c: int, latency: float, *, cache: bool = False, tree: Tree | None = None
    ) -> Usage:
        """`pilot run` by the code of `tree` (default: this tree), on that tree's database."""
        cmd = [self.pilot, "run", "--goldenset", "bench", "--system", "anthropic"]
        cmd += ["--concurrency", str(c), "--json"] + ([] if cache else ["--no-cache"])
        return measured(cmd, self.env(n, latency, tree or self.current), run=True)

    def pair(
        self, n: int, c: int, latency: float
    ) -> tuple[list[Usage], list[Usage], list[list[Usage]]]:
        self.warm()
        bare: list[Usage] = []
        pilot: list[Usage] = []
        baselines: list[list[Usage]] = [[] for _ in self.baselines]
        for _ in range(self.repeats):
            bare.append(self.bare(n, c, latency))
            pilot.append(self.run(n, c, latency))
            for tree, runs in zip(self.baselines, baselines, strict=True):
                runs.append(self.run(n, c, latency, tree=tree))
        return bare, pilot, baselines

    def close(self) -> None:
        for stub in self.stubs.values():
            stub.stop()


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def row_pair(bench: Bench, label: str, n: int, c: int, latency: float, target: float) -> None:
    bare, pilot, baselines = bench.pair(n, c, latency)
    b, p = med([u.wall for u in bare]), med([u.wall for u in pilot])
    print(
        f"{label}: bare {b:.2f} s ({spread([u.wall for u in bare])}), pilot {p:.2f} s "
        f"({spread([u.wall for u in pilot])}), ratio {p / b:.2f}x (target <= {target:.2f}x)"
        f"  [load {load()}]"
    )
    bc, pc = med([u.cpu for u in bare]), med([u.cpu for u in pilot])
    print(
        f"    CPU: bare {bc:.2f} s, pilot {pc:.2f} s, ratio {pc / bc:.2f}x; per case bare "
        f"{bc / n * 1000:.2f} ms, pilot {pc / n * 1000:.2f} ms; peak RSS bare "
        f"{med([u.peak_mb for u in bare]):.0f} MB, pilot {med([u.peak_mb for u in pilot]):.0f} MB"
    )
    for tree, runs in zip(bench.baselines, baselines, strict=True):
        w, cpu = med([u.wall for u in runs]), med([u.cpu for u in runs])
        print(
            f"    baseline tree {tree.label}: wall {w:.2f} s ({spread([u.wall for u in runs])}; "
            f"{w / b:.2f}x bare), CPU {cpu:.2f} s ({cpu / bc:.2f}x bare)"
        )


def row_cached(bench: Bench, repeats: int) -> None:
    """Fully cached re-runs of 1,000 cases, the trees alternating, each on its own database
    (filled first by one untimed run if row 2 did not fill it)."""
    bench.warm()
    trees = [bench.current, *bench.baselines]
    for tree in trees:
        bench.run(1000, 32, 0.2, cache=True, tree=tree)
    runs: list[list[Usage]] = [[] for _ in trees]
    for _ in range(repeats):
        for tree, usages in zip(trees, runs, strict=True):
            usages.append(bench.run(1000, 32, 0.2, cache=True, tree=tree))
    for tree, usages in zip(trees, runs, strict=True):
        walls = [u.wall for u in usages]
        print(
            f"4. cached re-run, 1,000 cases, {tree.label}: {med(walls):.2f} s ({spread(walls)}; "
            f"target < 0.60 s), CPU {med([u.cpu for u in usages]):.2f} s  [load {load()}]"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", default="1,2,3,4,5,6")
    parser.add_argument(
        "--baseline-tree",
        action="append",
        default=[],
        help="Also time `pilot run` from this checkout (A/B); may be given more than once. "
        "A tree from before the layout (776156f^, `git worktree add`) works too.",
    )
    args = parser.parse_args()
    rows = {int(r) for r in args.rows.split(",")}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), args.repeats, args.baseline_tree)
        try:
            if 1 in rows:
                row_pair(bench, "1. 150 cases, c32, 200 ms", 150, 32, 0.2, 1.10)
            if 2 in rows:
                row_pair(bench, "2. 1,000 cases, c32, 200 ms", 1000, 32, 0.2, 1.05)
            if 3 in rows:
                row_pair(bench, "3. 3,000 cases, c64, 0 ms", 3000, 64, 0.0, 1.25)
            if 4 in rows:
                row_cached(bench, args.repeats)
            if 5 in rows:
                bench.warm()
                starts = {
                    "python -c pass": [sys.executable, "-c", "pass"],
                    "pilot --help": [bench.pilot, "--help"],
                    "pilot kill --help": [bench.pilot, "kill", "--help"],
                }
                for label, cmd in starts.items():
                    walls = [measured(cmd, bench.child_env()).wall for _ in range(5)]
                    print(f"5. {label}: {med(walls):.3f} s (median of 5; target < 0.15 s)")
            if 6 in rows:
                bench.warm()
                bare = bench.bare(10_000, 64, 0.0)
                pilot = bench.run(10_000, 64, 0.0)
                print(
                    f"6. 10,000 cases, c64, 0 ms: peak RSS pilot {pilot.peak_mb:.0f} MB "
                    f"(target < 500 MB), bare loop {bare.peak_mb:.0f} MB; wall pilot "
                    f"{pilot.wall:.2f} s, bare {bare.wall:.2f} s  [load {load()}]"
                )
                for tree in bench.baselines:
                    old = bench.run(10_000, 64, 0.0, tree=tree)
                    print(
                        f"    baseline tree {tree.label}: peak RSS {old.peak_mb:.0f} MB, "
                        f"wall {old.wall:.2f} s"
                    )
        finally:
            bench.close()


if __name__ == "__main__":
    main()
