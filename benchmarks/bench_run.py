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

from pilot.core import access, tokens  # noqa: E402
from pilot.core.store import Store  # noqa: E402
from pilot.goldensets.versions import import_goldenset  # noqa: E402

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


def measured(cmd: list[str], env: dict[str, str]) -> Usage:
    """Wall time, CPU time and peak RSS of one child process (os.wait4: that child only)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err.decode()[-2000:]}")
    del out
    return Usage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


class Bench:
    def __init__(self, folder: Path, repeats: int, baseline_tree: str | None = None) -> None:
        self.folder, self.repeats, self.baseline_tree = folder, repeats, baseline_tree
        self.pilot = str(Path(sys.executable).parent / "pilot")
        self.stubs: dict[float, MessagesStub] = {}
        self.dbs: dict[int, tuple[Path, Path, str]] = {}
        self.pycache = folder / "pycache"  # compiled bytecode of every child, as installed
        self.warmed = False

    def child_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {**os.environ, **(extra or {}), "PYTHONPYCACHEPREFIX": str(self.pycache)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def warm(self) -> None:
        """One untimed run of each command (bare loop, `pilot run`, each tree) fills the
        bytecode cache, as an install would have."""
        if self.warmed:
            return
        self.warmed = True
        self.bare(150, 32, 0.0)
        for tree in [None] + ([self.baseline_tree] if self.baseline_tree else []):
            self.run(150, 32, 0.0, tree=tree)
            measured([self.pilot, "--help"], self.child_env({"PYTHONPATH": tree} if tree else None))

    def stub(self, latency: float) -> MessagesStub:
        if latency not in self.stubs:
            self.stubs[latency] = MessagesStub(latency=latency).start()
        return self.stubs[latency]

    def db(self, n: int) -> tuple[Path, Path, str]:
        """A database with a golden set of n cases, and a lead's token."""
        if n not in self.dbs:
            folder = self.folder / f"n{n}"
            folder.mkdir()
            cases = folder / "cases.jsonl"
            make_cases(cases, n)
            store = Store(folder / "bench.duckdb")
            access.add_user(store, None, "admin", "admin")
            access.add_user(store, "admin", "lead", "lead")
            secret = tokens.create_token(store, "lead", name="bench").secret
            import_goldenset(store, "lead", cases, name="bench")
            self.dbs[n] = (cases, store.path, secret)
        return self.dbs[n]

    def env(self, n: int, latency: float) -> dict[str, str]:
        _, db, secret = self.db(n)
        return self.child_env(
            {
                "ANTHROPIC_API_KEY": "bench-key",
                "ANTHROPIC_BASE_URL": self.stub(latency).base_url,
                "PILOT_DB": str(db),
                "PILOT_TOKEN": secret,
            }
        )

    def bare(self, n: int, c: int, latency: float) -> Usage:
        cases = self.db(n)[0]
        return measured([sys.executable, "-c", BARE, str(cases), str(c)], self.env(n, latency))

    def run(
        self, n: int, c: int, latency: float, *, cache: bool = False, tree: str | None = None
    ) -> Usage:
        """`pilot run`; with `tree`, the code of that checkout (e.g. main, for an A/B)."""
        cmd = [self.pilot, "run", "--goldenset", "bench", "--system", "anthropic"]
        cmd += ["--concurrency", str(c), "--json"] + ([] if cache else ["--no-cache"])
        env = self.env(n, latency)
        if tree:
            env["PYTHONPATH"] = tree
        return measured(cmd, env)

    def pair(self, n: int, c: int, latency: float) -> tuple[list[Usage], list[Usage], list[Usage]]:
        self.warm()
        bare, pilot, baseline = [], [], []
        for _ in range(self.repeats):
            bare.append(self.bare(n, c, latency))
            pilot.append(self.run(n, c, latency))
            if self.baseline_tree:
                baseline.append(self.run(n, c, latency, tree=self.baseline_tree))
        return bare, pilot, baseline

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
    bare, pilot, baseline = bench.pair(n, c, latency)
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
    if baseline:
        w, cpu = med([u.wall for u in baseline]), med([u.cpu for u in baseline])
        print(
            f"    baseline tree {bench.baseline_tree}: wall {w:.2f} s ({w / b:.2f}x bare), "
            f"CPU {cpu:.2f} s ({cpu / bc:.2f}x bare)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", default="1,2,3,4,5,6")
    parser.add_argument(
        "--baseline-tree", default=None, help="Also time `pilot run` from this checkout (A/B)."
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
                bench.warm()
                bench.run(1000, 32, 0.2, cache=True)  # fills the cache if row 2 did not run
                cached = [bench.run(1000, 32, 0.2, cache=True) for _ in range(args.repeats)]
                print(
                    f"4. cached re-run, 1,000 cases: {med([u.wall for u in cached]):.2f} s "
                    f"({spread([u.wall for u in cached])}; target < 0.60 s), CPU "
                    f"{med([u.cpu for u in cached]):.2f} s  [load {load()}]"
                )
                if args.baseline_tree:
                    old = [
                        bench.run(1000, 32, 0.2, cache=True, tree=args.baseline_tree)
                        for _ in range(args.repeats)
                    ]
                    print(
                        f"    baseline tree: {med([u.wall for u in old]):.2f} s, CPU "
                        f"{med([u.cpu for u in old]):.2f} s"
                    )
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
                if args.baseline_tree:
                    old = bench.run(10_000, 64, 0.0, tree=args.baseline_tree)
                    print(
                        f"    baseline tree: peak RSS {old.peak_mb:.0f} MB, wall {old.wall:.2f} s"
                    )
        finally:
            bench.close()


if __name__ == "__main__":
    main()
