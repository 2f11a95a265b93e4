"""The offline system on 1,000 cases of 10 KB each, against splitting the same texts into
sentences (the first thing it must do with every source) in the same run.

Run: `.venv/bin/python benchmarks/bench_offline.py [n_cases]`. Prints the time per case and
the ratio to the baseline; asserts nothing (tests/pilot/test_systems_offline.py checks the
answers at this size, not the time).
"""

from __future__ import annotations

import sys
import time

from pilot.core.models import Source, SystemConfig, SystemRequest
from pilot.runs.systems.offline import OfflineSystem, split_sentences

PARAGRAPH = (
    "Full-time staff get 25 days of paid annual leave each year. Up to 5 unused days may be "
    "carried over to the next year, with your manager's approval. Claims for travel must be "
    "filed within 30 days with a receipt; meals are capped at £40 a day. "
)


def requests(n: int) -> list[SystemRequest]:
    text = (PARAGRAPH * (10_000 // len(PARAGRAPH) + 1))[:10_000]
    return [
        SystemRequest(
            case_id=str(i),
            question="How many days of leave can I carry over?",
            sources=(Source(id="s", text=f"{text} Case {i}."),),  # distinct: no cache help
        )
        for i in range(n)
    ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    batch = requests(n)
    started = time.perf_counter()
    for request in batch:
        split_sentences(request.sources[0].text)
    baseline = time.perf_counter() - started
    system = OfflineSystem(SystemConfig())
    started = time.perf_counter()
    for request in batch:
        system.answer_sync(request)
    offline = time.perf_counter() - started
    print(f"{n} cases of 10 KB")
    print(f"  split into sentences: {baseline:6.2f} s ({1000 * baseline / n:.2f} ms per case)")
    print(f"  offline system:       {offline:6.2f} s ({1000 * offline / n:.2f} ms per case)")
    print(f"  ratio:                {offline / baseline:6.1f}x the sentence split")


if __name__ == "__main__":
    main()
