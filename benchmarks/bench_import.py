"""Importing a 100,000-case golden set: the code at a baseline git ref against this tree, in the
same run, each in fresh processes.

For each side: wall time of `import_goldenset` (median of `--repeat` processes), the process's
peak RSS above what it held just before the import (ru_maxrss), and the peak of Python
allocations during the import (tracemalloc, in a separate process because tracing slows it).
Both memory figures are printed as multiples of the file size. No assertions: figures go to
docs/benchmarks.md.

    python benchmarks/bench_import.py [--cases 100000] [--baseline-ref main] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, resource, sys, time, tracemalloc
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[1]) / "tests"))
from helpers import seeded_store
from pilot.goldensets.versions import import_goldenset

path, db, mode = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
store = seeded_store(db)
with store.read() as con:
    pass
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
if mode == "trace":
    tracemalloc.start()
start = time.perf_counter()
result = import_goldenset(store, "priya", path, name="bench")
elapsed = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else None
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": elapsed, "rss": after - before, "traced": peak,
                  "cases": result.n_cases, "version": result.version}))
"""


def make_cases(path: Path, n: int) -> None:
    text = (
        "# Policy\nEmployees receive 25 days of annual leave. Up to 8 days carry over. "
        "Sick pay lasts 12 weeks.\n"
    ) * 2
    with path.open("w") as out:
        for i in range(n):
            record = {
                "id": f"b-{i:06d}",
                "question": f"How many days of annual leave? #{i}",
                "sources": [{"id": "policy", "title": "Policy", "text": f"{text} ({i})"}],
                "expected_answer": "25 days",
                "answerable": i % 10 != 0,
                "evidence": ["Employees receive 25 days of annual leave."],
                "tags": ["bench", f"t{i % 7}"],
                "consequential": i % 13 == 0,
            }
            if i % 10 == 0:
                record["expected_answer"] = None
                record["evidence"] = []
            out.write(json.dumps(record) + "\n")


def extract(ref: str, into: Path) -> Path:
    """The baseline's `pilot/` and `tests/helpers.py` (what the probe imports) at `ref`."""
    archive = into / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref, "pilot", "tests", "metrics"],
            stdout=out,
            check=True,
        )
    tree = into / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def probe(tree: Path, cases: Path, work: Path, mode: str, index: int) -> dict[str, float]:
    db = work / f"{tree.name}-{mode}-{index}.duckdb"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tree), str(cases), str(db), mode],
        env=env,
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree.name} {mode} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--baseline-ref", default="main")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cases = work / "cases.jsonl"
        make_cases(cases, args.cases)
        size = cases.stat().st_size
        sides = {f"before ({args.baseline_ref})": extract(args.baseline_ref, work), "after": ROOT}
        print(f"{args.cases:,} cases, file {size / 1e6:.1f} MB")
        figures = {}
        for label, tree in sides.items():
            runs = [probe(tree, cases, work, "time", i) for i in range(args.repeat)]
            traced = probe(tree, cases, work, "trace", 0)
            figures[label] = runs
            seconds = statistics.median(r["seconds"] for r in runs)
            rss = max(r["rss"] for r in runs)
            print(
                f"{label:<22} {seconds:6.2f} s   peak RSS +{rss / size:4.1f}x file   "
                f"Python allocations peak {traced['traced'] / size:4.1f}x file   "
                f"version {runs[0]['version'][:12]}"
            )
        before, after = (statistics.median(r["seconds"] for r in v) for v in figures.values())
        print(f"after / before time: {after / before:.2f}x")


if __name__ == "__main__":
    main()
