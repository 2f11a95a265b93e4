"""Peak memory of reading a golden-set file, as a multiple of the file's size.

Each figure is a fresh process doing what an import does before it opens the database (read
the file, check every case, stage the good ones, hash the version), measured as its peak
resident memory (VmHWM, reset after a warm-up import of one case) beyond what it held before.
The whole import, DuckDB included, is measured at 100,000 cases by `bench_import.py`.
Issue 9 asks for under 5x. Shapes: policy-sized sources (1,500 cases, 2 KB of source each),
tiny cases (8,000 cases of ~550 bytes) and three hostile JSONL lines that are refused.

    python benchmarks/bench_import_memory.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "pilot"))

from test_goldenset_fuzz import (  # noqa: E402
    MEASURE,
    as_csv,
    as_parquet,
    realistic_jsonl,
    warm_up_file,
)


def measure(path: Path, pool: str | None = None) -> int:
    small = path.with_name("warm" + path.suffix)
    small.write_bytes(warm_up_file(path.suffix[1:]))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    if pool:
        env["ARROW_DEFAULT_MEMORY_POOL"] = pool
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), str(small)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.split()[0])


def main() -> None:
    shapes = {"policy-sized (1,500 x 2 KB)": (1500, 2000), "tiny (8,000 x 550 B)": (8000, 300)}
    hostile = {
        "hostile: [] x 1M": b'{"tags": [' + b"[]," * 1_000_000 + b"[]]}\n",
        "hostile: [ x 3M": b"[" * 3_000_000 + b"\n",
        'hostile: "t" x 1M': b'{"id": "a", "tags": [' + b'"t",' * 1_000_000 + b'"t"]}\n',
    }
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'file':<40} {'size':>10} {'peak':>12} {'ratio':>6}")
        for label, (n, size) in shapes.items():
            jsonl = realistic_jsonl(n, size)
            for fmt, data in (
                ("jsonl", jsonl),
                ("csv", as_csv(jsonl)),
                ("parquet", as_parquet(jsonl)),
            ):
                path = Path(tmp) / f"cases.{fmt}"
                path.write_bytes(data)
                pools = [None]
                for pool in pools:
                    peak = measure(path, pool)
                    name = f"{fmt} {label}" + (f" [arrow pool {pool}]" if pool else "")
                    print(f"{name:<40} {len(data):>10,} {peak:>12,} {peak / len(data):>5.1f}x")
        for label, data in hostile.items():
            path = Path(tmp) / "hostile.jsonl"
            path.write_bytes(data)
            peak = measure(path)
            print(f"{label:<40} {len(data):>10,} {peak:>12,} {peak / len(data):>5.1f}x")


if __name__ == "__main__":
    main()
