"""Importing a 100,000-case golden set: the code at a baseline git ref against this tree, in the
same run, each in fresh processes.

For each side and format: wall time of `import_goldenset` (median of `--repeat` processes, the
sides alternated), the process's peak RSS above what it held just before the import (VmHWM,
reset after a warm-up import of one case), and the peak of Python allocations during the
import (tracemalloc, in a separate process because tracing slows it). Both memory figures are
printed as multiples of the file size. No assertions: figures go to docs/benchmarks.md.

    python benchmarks/bench_import.py [--cases 100000] [--baseline-ref main] [--repeat 3]
        [--formats jsonl,csv,parquet] [--no-trace]
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
import json, sys, time, tracemalloc
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[1]) / "tests"))
from helpers import seeded_store
from pilot.goldensets.versions import import_goldenset

path, db, mode, warm = Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], Path(sys.argv[5])
store = seeded_store(db)
import_goldenset(store, "priya", warm, name="warm-up")  # lazy imports, each reader's first use

def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

# ru_maxrss is a lifetime peak (hashing the test users' passwords already set it high):
# reset the high-water mark instead, so only the import's own peak counts.
Path("/proc/self/clear_refs").write_text("5")
before = status("VmRSS")
if mode == "trace":
    tracemalloc.start()
start = time.perf_counter()
result = import_goldenset(store, "priya", path, name="bench")
elapsed = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if mode == "trace" else None
after = status("VmHWM")
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


def as_format(jsonl: Path, fmt: str, out: Path) -> Path:
    """The same cases as CSV (JSON text in the list columns, tags by `;`) or Parquet."""
    import csv

    rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line]
    if fmt == "csv":
        with out.open("w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                row = dict(row)
                row["sources"], row["evidence"] = (
                    json.dumps(row["sources"]),
                    json.dumps(row["evidence"]),
                )
                row["tags"] = ";".join(row["tags"])
                row["answerable"] = str(row["answerable"]).lower()
                row["consequential"] = str(row["consequential"]).lower()
                writer.writerow(row)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        # uncompressed and without dictionaries, so the file is about its content's size
        pq.write_table(pa.Table.from_pylist(rows), out, compression="none", use_dictionary=False)
    return out


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
    db = work / f"{tree.name}-{cases.suffix[1:]}-{mode}-{index}.duckdb"
    warm = work / f"warm{cases.suffix}"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tree), str(cases), str(db), mode, str(warm)],
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
    parser.add_argument("--formats", default="jsonl", help="comma-separated: jsonl,csv,parquet")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc probe")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        jsonl = work / "cases.jsonl"
        make_cases(jsonl, args.cases)
        make_cases(work / "warm.jsonl", 1)
        sides = {f"before ({args.baseline_ref})": extract(args.baseline_ref, work), "after": ROOT}
        for fmt in args.formats.split(","):
            cases = jsonl if fmt == "jsonl" else as_format(jsonl, fmt, work / f"cases.{fmt}")
            if fmt != "jsonl":
                as_format(work / "warm.jsonl", fmt, work / f"warm.{fmt}")
            size = cases.stat().st_size
            print(f"{fmt}: {args.cases:,} cases, file {size / 1e6:.1f} MB")
            runs: dict[str, list[dict[str, float]]] = {label: [] for label in sides}
            for i in range(args.repeat):  # alternate the sides, so load hits both alike
                for label, tree in sides.items():
                    runs[label].append(probe(tree, cases, work, "time", i))
            for label, tree in sides.items():
                seconds = statistics.median(r["seconds"] for r in runs[label])
                rss = max(r["rss"] for r in runs[label])
                traced = (
                    ""
                    if args.no_trace
                    else (
                        f"Python allocations peak "
                        f"{probe(tree, cases, work, 'trace', 0)['traced'] / size:4.1f}x file   "
                    )
                )
                print(
                    f"  {label:<22} {seconds:6.2f} s   peak RSS +{rss / size:4.1f}x file   "
                    f"{traced}version {runs[label][0]['version'][:12]}"
                )
            before, after = (statistics.median(r["seconds"] for r in v) for v in runs.values())
            print(f"  after / before time: {after / before:.2f}x")


if __name__ == "__main__":
    main()
