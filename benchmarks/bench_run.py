"""`pilot run` against a bare AsyncAnthropic loop, as whole processes, in the same run.

1,000 cases against the local Messages API stub at 200 ms latency, concurrency 32. Prints both
wall times, the ideal ceil(N/C) x latency, the ratios, and a fully cached re-run. No assertions:
figures go to docs/benchmarks.md.

    python benchmarks/bench_run.py [--cases 1000] [--latency 0.2] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
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


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    n, c, latency = args.cases, args.concurrency, args.latency
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = folder / "cases.jsonl"
        make_cases(cases, n)
        store = Store(folder / "bench.duckdb")
        access.add_user(store, None, "admin", "admin")
        access.add_user(store, "admin", "lead", "lead")
        lead_token = tokens.create_token(store, "lead", name="bench").secret
        import_goldenset(store, "lead", cases, name="bench")
        pilot = str(Path(sys.executable).parent / "pilot")
        with MessagesStub(latency=latency) as stub:
            env = {
                **os.environ,
                "ANTHROPIC_API_KEY": "bench-key",
                "ANTHROPIC_BASE_URL": stub.base_url,
                "PILOT_DB": str(store.path),
                "PILOT_TOKEN": lead_token,
            }
            bare = timed([sys.executable, "-c", BARE, str(cases), str(c)], env)
            run_cmd = [
                pilot,
                "run",
                "--goldenset",
                "bench",
                "--system",
                "anthropic",
                "--concurrency",
                str(c),
                "--json",
            ]
            full = timed([*run_cmd, "--no-cache"], env)
            cached = timed(run_cmd, env)
            calls = len(stub.message_bodies())
    ideal = math.ceil(n / c) * latency
    print(
        f"cases {n}, concurrency {c}, stub latency {latency * 1000:.0f} ms, "
        f"calls received {calls} (expected {2 * n})"
    )
    print(f"ideal ceil(N/C) x latency : {ideal:6.2f} s")
    print(f"bare AsyncAnthropic loop  : {bare:6.2f} s  ({bare / ideal:.2f}x ideal)")
    print(
        f"pilot run (no cache)      : {full:6.2f} s  ({full / ideal:.2f}x ideal, "
        f"{full / bare:.2f}x bare loop; target <= 1.10x)"
    )
    print(f"pilot run (fully cached)  : {cached:6.2f} s  (target < 2 s)")


if __name__ == "__main__":
    main()
