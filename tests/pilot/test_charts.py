"""Figure builders draw exactly the numbers `metrics` computed: thresholds, intervals, per tag."""

from __future__ import annotations

import math

import polars as pl
import pytest

from metrics import compare_runs, compute_all, per_tag, wilson
from pilot.define.criteria import Criterion
from pilot.results import charts
from pilot.results.chart_style import Threshold, label, pct
from pilot.results.tag_heatmap import tag_heatmap

# (case_id, tags, answerable, correct, abstained, error)
CASES = [
    ("c-01", ["numeric"], True, True, False, None),
    ("c-02", ["numeric", "ugly"], True, False, False, None),
    ("c-03", ["numeric"], True, True, False, None),
    ("c-04", ["ugly"], True, False, True, None),
    ("c-05", ["ugly"], True, False, False, "timeout"),
    ("c-06", ["unanswerable"], False, True, True, None),
    ("c-07", ["unanswerable", "ugly"], False, False, False, None),
    ("c-08", ["unanswerable"], False, True, True, None),
    ("c-09", ["numeric"], True, True, False, None),
    ("c-10", [], True, False, True, None),
    ("c-11", ["leave"], True, True, False, None),
    ("c-12", ["leave", "numeric"], True, False, False, None),
]


def results(cases: list[tuple] = CASES) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "case_id": [c[0] for c in cases],
            "answer": ["x" for _ in cases],
            "abstained": [c[4] for c in cases],
            "correct": [c[3] for c in cases],
            "error": [c[5] for c in cases],
            "answerable": [c[2] for c in cases],
            "expected_answer": ["x" if c[2] else None for c in cases],
            "tags": [c[1] for c in cases],
            "consequential": [False for _ in cases],
        },
        schema_overrides={"error": pl.String, "expected_answer": pl.String},
    )


def by_hand(tag: str, metric: str) -> tuple[int, int]:
    """(k, n) for one tag and metric, counted case by case from CASES."""
    k = n = 0
    for _, tags, answerable, correct, abstained, error in CASES:
        if tag not in tags:
            continue
        declined = abstained and error is None
        if metric == "accuracy":
            n += 1
            k += bool(correct and error is None)
        elif metric == ("false_abstain_rate" if answerable else "abstain_rate_unanswerable"):
            n += 1
            k += declined
    return k, n


def history(frames: list[pl.DataFrame]) -> pl.DataFrame:
    records = []
    for order, frame in enumerate(frames, start=1):
        for name, e in compute_all(frame).items():
            records.append(
                {
                    "order": order,
                    "run_id": f"run-{order}",
                    "tick": f"#{order}",
                    "started_at": f"2026-01-0{order} 09:00",
                    "system": "offline",
                    "metric": name,
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
            )
    return pl.DataFrame(records)


def trace(fig, name: str):
    return next(t for t in fig.data if t.name == name)


def test_metric_over_runs_draws_each_run_with_its_wilson_interval_and_the_bar() -> None:
    first = results()
    second = results([(*c[:3], True, *c[4:]) if c[0] == "c-02" else c for c in CASES])
    bar = Threshold(
        Criterion(metric="accuracy", threshold=0.6, judged_on="lower_bound"), "bar v2 (signed)"
    )
    fig = charts.metric_over_runs(history([first, second]), "accuracy", bar)

    line = trace(fig, "Bar: 60%")
    assert set(line.y) == {0.6}
    points = trace(fig, "Accuracy per run")
    assert list(points.x) == [1, 2]
    for i, k in enumerate((6, 7)):  # right, no error: c-01, 03, 06, 08, 09, 11 (+ c-02)
        low, high = wilson(k, 12)
        assert points.y[i] == pytest.approx(k / 12)
        assert points.y[i] + points.error_y.array[i] == pytest.approx(high)
        assert points.y[i] - points.error_y.arrayminus[i] == pytest.approx(low)
    assert [c[5] for c in points.customdata] == [12, 12]  # n on hover
    assert list(points.text) == ["n=12", "n=12"]
    # judged on the lower bound: neither run's lower bound reaches 60%
    assert "below the bar" in points.customdata[0][6]
    assert fig.layout.title.text.startswith("Accuracy per run")
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


def test_the_bar_is_judged_on_the_figure_it_names() -> None:
    """A run whose point clears the bar but whose lower bound does not: below a bar judged on
    the lower bound, meeting one judged on the point (the figure above reads "below the bar"
    whichever of the two it judged)."""
    second = results([(*c[:3], True, *c[4:]) if c[0] == "c-02" else c for c in CASES])
    low, _ = wilson(7, 12)  # 7/12 = 58.3% point, lower bound about 32%
    assert low < 0.55 < 7 / 12
    for judged_on, verdict in (
        ("lower_bound", "\nbelow the bar"),
        ("point", "\nmeets the bar"),
    ):
        criterion = Criterion(metric="accuracy", threshold=0.55, judged_on=judged_on)
        fig = charts.metric_over_runs(
            history([second]), "accuracy", Threshold(criterion, "bar v2 (signed)")
        )
        assert trace(fig, "Accuracy per run").customdata[0][6] == verdict


def test_a_threshold_is_met_by_the_criterion_rule_and_not_without_a_figure() -> None:
    bound = Threshold(Criterion(metric="accuracy", threshold=0.6), "bar v1")
    assert bound.met(0.7, 0.6, 0.8) is True  # the lower bound exactly on the bar
    assert bound.met(0.7, 0.59, 0.8) is False  # the point would pass; the bound does not
    assert bound.met(None, None, None) is None  # no figure: no verdict drawn


def test_metric_over_runs_without_a_bar_has_no_line() -> None:
    fig = charts.metric_over_runs(history([results()]), "false_abstain_rate", None)
    assert [t.name for t in fig.data] == ["False-abstain rate (lower is better) per run"]
    assert "no bar applies" in fig.layout.title.subtitle.text


def test_heatmap_cells_equal_per_tag_counts_made_by_hand() -> None:
    frame = results()
    fig = tag_heatmap(per_tag(frame), compute_all(frame))
    heat = next(t for t in fig.data if t.type == "heatmap")
    rows = list(heat.y)
    assert rows[0] == "(all cases)"
    assert set(rows[1:]) == {"numeric", "ugly", "unanswerable", "leave"}
    for metric in ("accuracy", "abstain_rate_unanswerable", "false_abstain_rate"):
        col = list(heat.meta).index(metric)
        for tag in rows[1:]:
            k, n = by_hand(tag, metric)
            cell = heat.z[rows.index(tag)][col]
            if n == 0:
                assert cell is None and heat.text[rows.index(tag)][col] == "no cases"
                continue
            value = k / n
            expected = 1 - value if metric == "false_abstain_rate" else value
            assert cell == pytest.approx(expected), (tag, metric)
            assert f"n={n}" in heat.text[rows.index(tag)][col]
    # worst accuracy first: "ugly" has no case right (0 of 4)
    assert rows[1] == "ugly" and by_hand("ugly", "accuracy") == (0, 4)


def test_heatmap_cells_can_be_clicked_to_a_tag() -> None:
    fig = tag_heatmap(per_tag(results()), None)
    cells = trace(fig, "cells")
    assert {c[0] for c in cells.customdata} == {"numeric", "ugly", "unanswerable", "leave"}
    assert len(cells.customdata) == 4 * len(fig.data[0].x)


def test_metric_bars_show_intervals_and_thresholds() -> None:
    estimates = compute_all(results())
    bars = {
        "abstain_rate_unanswerable": Threshold(
            Criterion(metric="abstain_rate_unanswerable", threshold=0.8, judged_on="point"),
            "bar v1 (unsigned draft)",
        )
    }
    names = ("abstain_rate_unanswerable", "false_abstain_rate")
    fig = charts.metric_bars(estimates, bars, names, "Abstention")
    bar = trace(fig, "value")
    for i, name in enumerate(names):
        e = estimates[name]
        assert bar.y[i] == pytest.approx(e.value)
        assert bar.y[i] + bar.error_y.array[i] == pytest.approx(e.high)
        assert f"n={e.n}" in bar.x[i] and pct(e.value) in bar.x[i]
    line = trace(fig, "Bar threshold")
    assert list(line.y) == [0.8]


def test_delta_chart_matches_paired_intervals() -> None:
    base = results()
    new = results([(*c[:3], not c[3], *c[4:]) if c[0] in {"c-02", "c-03"} else c for c in CASES])
    comparison = compare_runs(base, new)
    fig = charts.delta_chart(comparison.deltas)
    points = fig.data[0]
    accuracy = comparison.deltas["accuracy"]
    i = list(points.y).index(label("accuracy"))
    assert points.x[i] == pytest.approx(accuracy.value)
    assert points.x[i] + points.error_x.array[i] == pytest.approx(accuracy.high)
    assert points.x[i] - points.error_x.arrayminus[i] == pytest.approx(accuracy.low)
    assert math.isclose(accuracy.value, 0.0)  # one flipped each way


def test_threshold_judging_matches_the_bar() -> None:
    at_most = Threshold(Criterion(metric="false_abstain_rate", threshold=0.1), "bar")
    assert at_most.met(0.05, 0.01, 0.2) is False  # upper bound above 10%
    assert at_most.met(0.05, 0.01, 0.09) is True
    assert "at most 10%" in at_most.describe() and "upper bound" in at_most.describe()
