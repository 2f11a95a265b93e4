"""Time `compute_all` + `per_tag` on 1,000,000 synthetic case results against a plain loop.

Run: `.venv/bin/python benchmarks/bench_metrics.py [n_cases]`. Prints timings and whether the
two computations agree; asserts nothing, so it can run anywhere without failing a build. The
six answer and citation metrics are timed on their own (the figure earlier versions reported),
then every registered metric with the per-case call records (latency, cost) as well.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import cast

import numpy as np
import polars as pl

from metrics import Estimate, compute_all, count_all, per_tag, summarise

QUALITY = (
    "accuracy",
    "citation_precision",
    "citation_coverage",
    "evidence_recall",
    "abstain_rate_unanswerable",
    "false_abstain_rate",
)

TAGS = np.array(["numeric", "ugly", "policy", "dates", "names", "long", "tables", "multi"])
WORDS = ["refund", "within", "1,200", "thirty", "days", "cafe", "policy", "notice", "the"]
WIDE = ["£1,200", "“thirty”", "café"]


def synthetic(n: int, seed: int = 7) -> dict[str, pl.DataFrame]:
    """Seeded frames shaped like the runner's: 1–2 claims per answered case, one citation per
    claim plus a second on 23% of them (~1.5 per case), ~10% of citations off by one, and a
    quarter of sources holding non-ASCII text (smart quotes, £, é)."""
    rng = np.random.default_rng(seed)
    ids = pl.Series("case_id", np.char.add("c", np.arange(n).astype(str)))
    answerable = rng.random(n) < 0.8
    abstained = np.where(answerable, rng.random(n) < 0.05, rng.random(n) < 0.7)
    errored = rng.random(n) < 0.01
    correct = np.where(answerable, ~abstained & (rng.random(n) < 0.85), abstained)
    first = rng.integers(0, len(TAGS), n)
    second = (first + rng.integers(1, len(TAGS), n)) % len(TAGS)  # two distinct tags
    tag_pairs = pl.DataFrame(
        {"t1": TAGS[first], "t2": TAGS[second], "count": rng.integers(1, 3, n)}
    )
    tags = tag_pairs.select(pl.concat_list("t1", "t2").list.head(pl.col("count"))).to_series()
    flags = pl.DataFrame(
        {
            "abstained": abstained,
            "answerable": answerable,
            "correct": correct,
            "unjudged": rng.random(n) < 0.02,
            "errored": errored,
        }
    )
    results = flags.select(
        case_id=ids,
        answer=pl.when(~pl.col("abstained")).then(pl.lit("30 days")),
        abstained="abstained",
        correct=pl.when(~pl.col("unjudged")).then(pl.col("correct")),
        error=pl.when(pl.col("errored")).then(pl.lit("timeout")),
        answerable="answerable",
        expected_answer=pl.when(pl.col("answerable")).then(pl.lit("30 days")),
        tags=tags,
        consequential=pl.Series(rng.random(n) < 0.1),
    )
    words = np.array(WORDS, dtype=object)
    pool = [words[rng.integers(0, len(words), 10)] for _ in range(4096)]
    for text in pool[:1024]:  # a quarter of sources carry non-ASCII text
        text[rng.integers(0, 10)] = WIDE[rng.integers(0, len(WIDE))]
    pool = [" ".join(text) for text in pool]
    sources = pl.DataFrame(
        {"case_id": ids, "source_id": "s1", "text": np.array(pool)[rng.integers(0, 4096, n)]}
    )
    answered = ~abstained & ~errored
    n_claims = np.where(answered, rng.integers(1, 3, n), 0)
    claim_case = np.repeat(np.arange(n), n_claims)
    claim_idx = np.arange(len(claim_case)) - np.repeat(np.cumsum(n_claims) - n_claims, n_claims)
    claims = pl.DataFrame({"case_id": ids.gather(claim_case), "claim": claim_idx, "text": "x"})
    second = rng.random(len(claim_case)) < 0.23
    cite_case = np.concatenate([claim_case, claim_case[second]])
    cite_claim = np.concatenate([claim_idx, claim_idx[second]])
    m = len(cite_case)
    start, length = rng.integers(0, 20, m), rng.integers(3, 15, m)
    cited = (
        pl.DataFrame({"t": sources.get_column("text").gather(cite_case), "s": start, "l": length})
        .select(pl.col("t").str.slice(pl.col("s"), pl.col("l")))
        .to_series()
    )
    broken = rng.random(m) < 0.1
    citations = pl.DataFrame(
        {
            "case_id": ids.gather(cite_case),
            "claim": cite_claim,
            "source_id": "s1",
            "cited_text": cited,
            "start": np.where(broken, start + 1, start),
            "end": start + length,
        }
    )
    evidence = sources.filter(pl.Series(answerable)).select(
        "case_id", text=pl.col("text").str.slice(25, 12)
    )
    cached = rng.random(n) < 0.1
    calls = pl.DataFrame(
        {
            "case_id": ids,
            "latency_ms": rng.lognormal(7.0, 0.6, n).round(1),
            "cached": cached,
            "attempts": np.where(cached, 0, 1 + (rng.random(n) < 0.05)),
            "model": "claude-haiku-4-5",
            "cost_usd": rng.integers(500, 3000, n) / 1e6 + rng.integers(50, 400, n) * 5 / 1e6,
        }
    )
    return {
        "calls": calls,
        "results": results,
        "citations": citations,
        "claims": claims,
        "sources": sources,
        "evidence": evidence,
    }


def by_loop(f: dict[str, pl.DataFrame]) -> dict[tuple[str, str], tuple[float, int]]:
    """The same figures per (tag or "*", metric), one Python row at a time: (k, n) for a
    proportion, (value, n) for latency percentiles (numpy) and the mean cost."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    call = {c: (lat, cached, att, cost) for c, lat, cached, att, _, cost in f["calls"].iter_rows()}
    live: dict[str, list[float]] = defaultdict(list)
    costs: dict[str, list[float]] = defaultdict(list)
    source_text = {(c, s): t for c, s, t in f["sources"].iter_rows()}
    claims: dict[str, set[int]] = defaultdict(set)
    for case, claim, _ in f["claims"].iter_rows():
        claims[case].add(claim)
    supported: dict[str, set[int]] = defaultdict(set)
    valid_spans: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    cite_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case, claim, source, cited, start, end in f["citations"].iter_rows():
        text = source_text.get((case, source))
        ok = text is not None and 0 <= start < end <= len(text) and text[start:end] == cited
        cite_counts[case][0] += ok
        cite_counts[case][1] += 1
        if ok:
            supported[case].add(claim)
            valid_spans[case].append((source, start, end))
    by_case: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (case, source), text in source_text.items():
        by_case[case].append((source, text))
    gold: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for case, ev in f["evidence"].iter_rows():
        for source, text in by_case[case]:
            at = text.find(ev)
            while at >= 0:  # every occurrence is evidence
                gold[case].append((source, at, at + len(ev)))
                at = text.find(ev, at + 1)
    has_gold = set(f["evidence"].get_column("case_id"))
    for row in f["results"].iter_rows(named=True):
        case, err = row["case_id"], row["error"]
        units: dict[str, tuple[int, int]] = {
            "accuracy": (int(bool(row["correct"]) and err is None), 1),
            "infra_error_rate": (int(err is not None), 1),
        }
        latency, cached, attempts, cost = call[case]
        for tag in ["*", *set(row["tags"])]:
            if attempts > 0 and not cached:
                live[tag].append(latency)
            if err is None:
                costs[tag].append(cost)
        abst = int(bool(row["abstained"]) and err is None)
        if row["answerable"]:
            units["false_abstain_rate"] = (abst, 1)
        else:
            units["abstain_rate_unanswerable"] = (abst, 1)
        if case in cite_counts:
            units["citation_precision"] = tuple(cite_counts[case])  # type: ignore[assignment]
        if not row["abstained"] and err is None:
            want = claims.get(case, set())
            units["citation_coverage"] = (int(bool(want) and want <= supported[case]), 1)
        if row["answerable"] and case in has_gold:
            hit = err is None and any(
                s == gs and start < ge and gs0 < end
                for s, start, end in valid_spans[case]
                for gs, gs0, ge in gold[case]
            )
            units["evidence_recall"] = (int(hit), 1)
        for tag in ["*", *set(row["tags"])]:
            for name, (k, n) in units.items():
                out[(tag, name)][0] += k
                out[(tag, name)][1] += n
    figures: dict[tuple[str, str], tuple[float, int]] = {key: (k, n) for key, (k, n) in out.items()}
    for tag, values in live.items():
        figures[(tag, "latency_p50_ms")] = (float(np.percentile(values, 50)), len(values))
        figures[(tag, "latency_p95_ms")] = (float(np.percentile(values, 95)), len(values))
    for tag, values in costs.items():
        figures[(tag, "cost_per_case_usd")] = (sum(values) / len(values), len(values))
    return figures


def agrees(name: str, value: float | None, k: int | None, n: int, looped: tuple) -> bool:
    """A proportion agrees on (k, n) (or value and n overall); a value metric on value and n."""
    want_value, want_n = looped
    if n != want_n:
        return False
    if name in ("latency_p50_ms", "latency_p95_ms", "cost_per_case_usd"):
        return value is not None and math.isclose(value, want_value, rel_tol=1e-9)
    if k is not None:
        return k == want_value
    return value is None or math.isclose(value, want_value / n)


def timed(fn: Callable[[], object], repeat: int) -> tuple[object, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def main(n: int, repeat: int = 3) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    frames = synthetic(n)
    print(
        f"{n:,} cases, {frames['citations'].height:,} citations, {frames['claims'].height:,} "
        f"claims, {frames['sources'].height:,} sources, {frames['evidence'].height:,} evidence "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )

    quality = {k: v for k, v in frames.items() if k != "calls"}

    def separately() -> tuple[dict[str, Estimate], pl.DataFrame]:
        return compute_all(**frames), per_tag(**frames)

    def shared() -> tuple[dict[str, Estimate], pl.DataFrame]:
        counts = count_all(**frames)
        return summarise(counts), per_tag(frames["results"], counts=counts)

    def shared_quality() -> tuple[dict[str, Estimate], pl.DataFrame]:
        counts = count_all(**quality, names=QUALITY)
        return summarise(counts), per_tag(frames["results"], counts=counts)

    (overall, tags), separate_times = timed(separately, repeat)  # type: ignore[misc]
    shared_out, shared_times = timed(shared, repeat)
    _, quality_times = timed(shared_quality, repeat)
    loop_out, loop_times = timed(lambda: by_loop(frames), 1)
    looped = cast(dict[tuple[str, str], tuple[float, int]], loop_out)

    agree = all(
        agrees(name, est.value, None, est.n, looped.get(("*", name), (0, 0)))
        for name, est in overall.items()
    ) and all(
        agrees(
            row["metric"],
            row["value"],
            row["k"],
            row["n"],
            looped.get((row["tag"], row["metric"]), (0, 0)),
        )
        for row in tags.iter_rows(named=True)
    )
    same_shared = shared_out[0] == overall and shared_out[1].equals(tags)  # type: ignore[index]

    for name, est in overall.items():
        low = "—" if est.low is None else f"{est.low:.4f}"
        high = "—" if est.high is None else f"{est.high:.4f}"
        print(f"  {name:<26} {est.value:.4f}  [{low}, {high}]  n={est.n:,}")
    print(f"per_tag rows: {tags.height}")
    best, median = min(separate_times), statistics.median(separate_times)
    print(f"compute_all + per_tag, each from frames: best {best:.3f} s, median {median:.3f} s")
    s_best, s_median = min(shared_times), statistics.median(shared_times)
    print(f"count_all once, shared by both:          best {s_best:.3f} s, median {s_median:.3f} s")
    q_best, q_median = min(quality_times), statistics.median(quality_times)
    print(f"  the six answer/citation metrics only:  best {q_best:.3f} s, median {q_median:.3f} s")
    print(f"plain Python loop:                       {loop_times[0]:.3f} s")
    print(
        f"speed-up (median): {loop_times[0] / median:.1f}x; shared counts {loop_times[0] / s_median:.1f}x"
    )
    print(f"figures agree with the loop: {agree}; shared path identical: {same_shared}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
