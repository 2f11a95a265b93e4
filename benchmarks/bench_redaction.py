"""Redaction cost: the library-backed boundary against the old regex-only rules.

Run: `.venv/bin/python benchmarks/bench_redaction.py [n_texts]`. Redacts the same seeded texts
(a 2 KB policy with a few pieces of personal data each) with the old default patterns (Python
`re`, kept in `pilot.define.legacy_rules` as the baseline) and with `redactor_for` the demo
boundary (phonenumbers for GB and US, python-stdnum checksums, RE2 restricted terms), then a
pathological custom pattern on RE2. Prints timings and ratios; asserts nothing.
"""

from __future__ import annotations

import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pii_corpus import names, ordinary, pii  # noqa: E402

from pilot.define.legacy_rules import LEGACY_PATTERNS  # noqa: E402
from pilot.define.redaction import RedactionRule, redact, redactor_for  # noqa: E402
from pilot.define.workflow import DEMO_BOUNDARY  # noqa: E402


def texts(n: int) -> list[str]:
    rng = random.Random(11)
    roster = names(rng)
    out = []
    for _ in range(n):
        parts = [ordinary(rng) for _ in range(20)]
        for _ in range(3):
            parts.insert(rng.randrange(len(parts)), f"Contact {pii(rng, roster)[1]}.")
        out.append(" ".join(parts))
    return out


def legacy(text: str) -> str:
    for pattern in LEGACY_PATTERNS:
        text = re.sub(pattern, "[X]", text)
    return text


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    corpus = texts(n)
    size = sum(len(t) for t in corpus)
    redactor = redactor_for(DEMO_BOUNDARY)
    redact(corpus[0], redactor)  # warm the imports and compiled patterns
    started = time.perf_counter()
    for text in corpus:
        legacy(text)
    base = time.perf_counter() - started
    started = time.perf_counter()
    for text in corpus:
        redact(text, redactor)
    new = time.perf_counter() - started
    print(f"{n} texts, {size / n / 1024:.1f} KB each")
    print(f"old regex rules (baseline): {base * 1000 / n:.2f} ms a text")
    print(f"library-backed boundary:    {new * 1000 / n:.2f} ms a text ({new / base:.1f}x)")
    rule = RedactionRule(name="slow?", pattern=r"x+x+y")
    hostile = "x" * 200_000
    started = time.perf_counter()
    redact(hostile, [rule])
    print(f"RE2, x+x+y over 200,000 x's: {(time.perf_counter() - started) * 1000:.1f} ms")
    started = time.perf_counter()
    re.search(r"(x+x+)+y", "x" * 22)
    print(f"Python re, (x+x+)+y over 22 x's: {(time.perf_counter() - started) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
