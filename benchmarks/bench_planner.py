"""Time the exact sample-size planner against a plain per-size, per-count loop.

Run: `.venv/bin/python benchmarks/bench_planner.py`. The baseline judges every count of every
size with the scalar Wilson interval and sums scipy's binomial pmf over the passing counts, the
way a first version would; the planner bisects every size at once with numpy and sums one
binomial tail per size. Prints timings, the ratio and whether the figures agree; asserts nothing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy.stats import binom

from metrics.intervals import wilson
from metrics.planner import MAX_CASES, _bounds_table, _chance_table, size_plan
from pilot.define.criteria import Criterion
from pilot.define.planner import criterion_rule
from pilot.define.planner_curves import planner_curves

CRITERION = Criterion(metric="accuracy", threshold=0.90)  # on the 95% lower bound
RULE = criterion_rule(CRITERION)
RATE = 0.95


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def loop(up_to: int) -> np.ndarray:
    out = np.empty(up_to)
    for n in range(1, up_to + 1):
        passing = [k for k in range(n + 1) if CRITERION.passes(k / n, *wilson(k, n))]
        out[n - 1] = binom.pmf(passing, n, RATE).sum() if passing else 0.0
    return out


def cold_table(up_to: int) -> np.ndarray:
    _bounds_table.cache_clear()
    _chance_table.cache_clear()
    return _chance_table(RULE, RATE, up_to)


def cold_plan() -> object:
    _bounds_table.cache_clear()
    _chance_table.cache_clear()
    size_plan.cache_clear()
    return size_plan(RULE, RATE, 0.8, 60)


def main() -> None:
    size_plan(RULE, 0.5)  # import scipy.special once, outside the timings
    for up_to in (500, 1_000):
        base_best, base_median = timed(lambda up_to=up_to: loop(up_to), repeat=1)
        _bounds_table.cache_clear()
        _chance_table.cache_clear()
        ours = _chance_table(RULE, RATE, up_to)
        agree = np.allclose(ours, loop(up_to), atol=1e-10)
        fast_best, fast_median = timed(lambda up_to=up_to: cold_table(up_to))
        print(
            f"sizes 1..{up_to:,}: loop {base_best:.3f} s; planner {fast_best * 1e3:.1f} ms "
            f"(median {fast_median * 1e3:.1f} ms): {base_best / fast_best:,.0f}× faster; "
            f"figures agree: {agree}"
        )
    best, median = timed(cold_plan)
    print(
        f"size_plan over sizes 1..{MAX_CASES:,}, cold: {best * 1e3:.1f} ms (median {median * 1e3:.1f})"
    )
    _chance_table.cache_clear()
    size_plan.cache_clear()
    best, median = timed(lambda: (size_plan.cache_clear(), size_plan(RULE, 0.951, 0.8, 60)))
    print(f"size_plan, new expected rate (sizes' counts cached): {best * 1e3:.1f} ms")
    best, _ = timed(lambda: size_plan(RULE, 0.951, 0.8, 60), repeat=50)
    print(f"size_plan, repeated (cached): {best * 1e6:.1f} µs")
    print(f"one criterion on a page (plan, curves, both figures): {page_cost() * 1e3:.1f} ms")


def page_cost() -> float:
    from pilot.define import planner as bar_planner
    from pilot.define import planner_charts

    ctx = bar_planner.PlannerContext(
        bar_planner.GoldenSetSize("v", "g", 60, 10),
        {"cases": 60, "answerable": 50, "unanswerable": 10, "evidence": 40},
    )
    criterion = CRITERION

    def draw() -> None:
        row = bar_planner.plan_row(ctx, 0, criterion, 0.95)
        curves = planner_curves(row)
        planner_charts.chance_by_rate_figure(row, curves)
        planner_charts.chance_by_size_figure(row, curves)

    draw()  # plotly's first import
    return timed(draw)[0]


if __name__ == "__main__":
    main()
