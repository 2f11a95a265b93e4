"""The planner beside the bar: the verdict's own rule, each metric's population, charts, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import run_cli, seeded_store
from metric_frames import (
    CITATIONS_SCHEMA,
    CLAIMS_SCHEMA,
    EVIDENCE_SCHEMA,
    RESULTS_SCHEMA,
    SOURCES_SCHEMA,
)
from scipy.stats import binom
from statsmodels.stats.proportion import proportion_confint

from metrics.frames import RunFrames
from metrics.planner import passing_counts
from pilot.core.store import Store
from pilot.define import bar_versions, planner_charts
from pilot.define import planner as bar_planner
from pilot.define.bar_versions import BarVersion
from pilot.define.bars import AcceptanceBar
from pilot.define.criteria import Criterion
from pilot.define.planner_curves import planner_curves
from pilot.define.verdicts import judge
from pilot.goldensets import sizes

ACCURACY = Criterion(metric="accuracy", threshold=0.9, judged_on="lower_bound")
BAR = AcceptanceBar(
    criteria=(
        ACCURACY,
        Criterion(
            metric="citation_coverage", threshold=0.95, scope="tag:numeric", judged_on="point"
        ),
    ),
    min_cases=60,
    when_unsure="abstain and route to HR",
)


# --- the planner sizes for exactly the rule the verdict applies ------------------------------


def _frames(metric: str, n: int, k: int) -> RunFrames:
    """n units of `metric`, k of them successes, as a run's result rows."""
    rows: list[dict[str, Any]] = []
    for i in range(n):
        hit = i < k
        answerable = metric != "abstain_rate_unanswerable"
        abstained = hit if metric in ("abstain_rate_unanswerable", "false_abstain_rate") else False
        rows.append(
            {
                "case_id": f"c{i}",
                "answer": "x",
                "abstained": abstained,
                "correct": hit if metric == "accuracy" else True,
                "error": None,
                "answerable": answerable,
                "expected_answer": "x" if answerable else None,
                "tags": [],
                "consequential": False,
            }
        )
    empty = (CITATIONS_SCHEMA, CLAIMS_SCHEMA, SOURCES_SCHEMA, EVIDENCE_SCHEMA)
    return RunFrames(
        pl.DataFrame(rows, schema=RESULTS_SCHEMA), *(pl.DataFrame(schema=s) for s in empty)
    )


@pytest.mark.parametrize(
    "criterion",
    [
        ACCURACY,
        Criterion(metric="accuracy", threshold=0.8, judged_on="point"),
        Criterion(metric="false_abstain_rate", threshold=0.1, judged_on="lower_bound"),
        Criterion(metric="abstain_rate_unanswerable", threshold=0.7, judged_on="lower_bound"),
    ],
)
@pytest.mark.parametrize("n", [13, 40])
def test_every_count_the_planner_passes_is_one_the_verdict_passes(
    criterion: Criterion, n: int
) -> None:
    rule = bar_planner.criterion_rule(criterion)
    bound = int(passing_counts(rule, n))
    bar = AcceptanceBar(criteria=(criterion,), min_cases=1)
    version = BarVersion(1, bar.content_hash, bar, "2026-01-01", "priya", "priya")
    for k in range(n + 1):
        verdict = judge(_frames(criterion.metric, n, k), version)
        (result,) = verdict.criteria
        assert result.n == n
        planned = k <= bound if rule.at_most else k >= bound
        assert result.passed == planned, (criterion.metric, n, k)


def test_the_planner_is_handed_the_criterions_own_rule() -> None:
    rule = bar_planner.criterion_rule(ACCURACY)
    assert rule.judge == ACCURACY.passes  # not a copy: the bound method itself
    assert (rule.threshold, rule.at_most, rule.judged_on) == (0.9, False, "lower_bound")
    at_most = bar_planner.criterion_rule(Criterion(metric="false_abstain_rate", threshold=0.1))
    assert at_most.at_most


def test_only_rates_are_planned() -> None:
    latency = Criterion(metric="latency_p95_ms", threshold=2500.0)
    row = bar_planner.plan_row(bar_planner.PlannerContext(), 0, latency, 0.0)
    assert row.plan is None and row.required is None and row.enough is None
    assert row.headline == "Not sized by the planner"
    assert row.status[0] == "none" and "rates only" in row.sentences[0]
    assert row.as_dict()["planned"] is False
    with pytest.raises(ValueError, match="rates only"):
        bar_planner.criterion_rule(latency)
    with pytest.raises(ValueError, match="not a rate"):
        planner_curves(row)
    (line,) = bar_planner.planner_table([row])
    assert line["counts"] == "not a rate" and line["enough"] == "—"
    assert (line["criterion"], line["threshold"]) == (
        "Latency p95 on all cases",
        "at most 2,500 ms",
    )


# --- rows against a golden set -------------------------------------------------------------


def _golden_file(path: Path, n: int, unanswerable: int, numeric: int) -> Path:
    """Cases 0..unanswerable-1 are unanswerable; every fifth answerable case has no evidence."""
    lines = []
    for i in range(n):
        answerable = i >= unanswerable
        lines.append(
            json.dumps(
                {
                    "id": f"c-{i:03d}",
                    "question": f"Question {i}?",
                    "sources": [
                        {"id": "policy", "title": "Policy", "text": "The answer is 30 days."}
                    ],
                    "expected_answer": "30 days" if answerable else None,
                    "answerable": answerable,
                    "evidence": ["The answer is 30 days."] if answerable and i % 5 else [],
                    "tags": ["numeric"] if i < numeric else [],
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_without_a_golden_set_the_plan_is_still_exact(store: Store) -> None:
    with store.read() as con:
        rows = bar_planner.planner_rows(sizes.planner_context(con), BAR)
    accuracy = rows[0]
    assert (accuracy.required, accuracy.have, accuracy.enough) == (217, None, None)
    assert accuracy.headline == "217 cases needed"
    assert accuracy.status == ("none", "217 needed to pass 80% of the time; no golden set yet.")
    assert accuracy.sentences[-1] == "No golden set to compare yet."
    # 217 cases at a true 95%: the binomial tail over the k the Wilson rule passes (k ≥ 204).
    assert accuracy.plan.chance_required == pytest.approx(binom.sf(203, 217, 0.95), abs=1e-12)
    coverage = rows[1]
    assert coverage.unit == "answered cases tagged 'numeric'"
    assert coverage.status[0] == "warn" and "point estimate" in coverage.status[1]


def test_each_metric_counts_its_own_population(users_store: Store, tmp_path: Path) -> None:
    from pilot.goldensets import versions as goldensets

    path = _golden_file(tmp_path / "g.jsonl", 60, unanswerable=10, numeric=20)
    goldensets.import_goldenset(users_store, "priya", path, name="benefits")
    bar = BAR.model_copy(
        update={
            "criteria": (
                ACCURACY,
                Criterion(metric="abstain_rate_unanswerable", threshold=0.8),
                Criterion(metric="false_abstain_rate", threshold=0.1),
                Criterion(metric="evidence_recall", threshold=0.8),
                Criterion(metric="citation_precision", threshold=0.9),
                Criterion(metric="accuracy", threshold=0.5, scope="tag:numeric"),
            )
        }
    )
    with users_store.read() as con:
        rows = bar_planner.planner_rows(sizes.planner_context(con), bar, {0: 0.95})
        assert sizes.known_tags(con) == ["numeric"]
        ctx = sizes.planner_context(con)
    accuracy, abstain, false_abstain, recall, precision, numeric = rows
    # 60 cases; 10 unanswerable; 50 answerable, of which 40 (i % 5 != 0) carry evidence;
    # tag numeric on cases 0..19: 10 unanswerable, 10 answerable.
    assert (accuracy.have, accuracy.required, accuracy.plan.more) == (60, 217, 157)
    assert accuracy.status == (
        "short",
        "Too few: with 60 it passes only 19.2% of the time; add about 157.",
    )
    assert (abstain.unit, abstain.have) == ("unanswerable cases", 10)
    assert (false_abstain.unit, false_abstain.have) == ("answerable cases", 50)
    assert (recall.unit, recall.have) == ("answerable cases with gold evidence", 40)
    assert (precision.unit, precision.have, precision.have_exact) == ("citations", 50, False)
    assert precision.sentences[-1].startswith("Counted approximately: a run counts citations")
    assert (numeric.unit, numeric.have) == ("cases tagged 'numeric'", 20)
    assert "meets the bar's minimum of 60" in bar_planner.min_cases_note(ctx, bar)
    # 10 unanswerable cases can never clear 80% on the lower bound (10/10: Wilson low 0.72).
    assert "too few to pass at all, even with a perfect result" in abstain.sentences[2]


def test_never_and_beyond() -> None:
    ctx = bar_planner.PlannerContext()
    never = bar_planner.plan_row(ctx, 0, ACCURACY, 0.9)
    assert never.required is None and never.headline == "No size will do"
    assert never.status[0] == "warn"
    beyond = bar_planner.plan_row(ctx, 0, ACCURACY, 0.905)
    assert beyond.headline == "More than 20,000 cases needed"


# --- curves and charts ---------------------------------------------------------------------


def test_curves_and_charts_draw_the_plan() -> None:
    ctx = bar_planner.PlannerContext(
        bar_planner.GoldenSetSize("v1", "benefits", 60, 10),
        {"cases": 60, "answerable": 50, "unanswerable": 10, "evidence": 40},
    )
    row = bar_planner.plan_row(ctx, 0, ACCURACY, 0.95)
    curves = planner_curves(row)
    assert curves.sizes[216] == 217 and curves.chance_by_size[216] == pytest.approx(
        row.plan.chance_required
    )
    assert curves.rates[0] <= 0.9 and curves.rates[-1] >= 0.95
    # The fewest successes whose Wilson lower bound clears 90%, by statsmodels: 59 of 60.
    k60 = min(k for k in range(61) if proportion_confint(k, 60, method="wilson")[0] >= 0.9)
    assert k60 == 59
    assert curves.chance_have == pytest.approx([binom.sf(k60 - 1, 60, r) for r in curves.rates])
    assert curves.chance_required == pytest.approx([binom.sf(203, 217, r) for r in curves.rates])

    by_rate = planner_charts.chance_by_rate_figure(row, curves)
    names = [t.name for t in by_rate.data]
    assert names == ["golden set: 60 cases", "recommended: 217 cases"]
    marks = [a.text for a in by_rate.layout.annotations]
    assert marks == ["threshold 90%", "expected 95%"]
    by_size = planner_charts.chance_by_size_figure(row, curves)
    dips = next(t for t in by_size.data if t.name.startswith("dips below 80%"))
    assert 217 not in dips.x and {218, 228, 235, 241, 253} <= set(dips.x)
    assert 229 not in dips.x


def test_chart_labels_are_inert() -> None:
    from pilot.results.inert_chart import inert_figure  # what app.ui.chart applies

    sneaky = Criterion(metric="accuracy", threshold=0.9, scope="tag:<b>x</b>$y$")
    row = bar_planner.plan_row(bar_planner.PlannerContext(), 0, sneaky, 0.95)
    figures = [
        planner_charts.chance_by_rate_figure(row),
        planner_charts.chance_by_size_figure(row),
    ]
    for fig in figures:
        text = json.dumps(json.loads(inert_figure(fig).to_json()), ensure_ascii=False)
        assert "<b>x</b>" not in text
        assert "&amp;lt;" not in text  # escaped once, not twice
    by_rate = json.loads(inert_figure(planner_charts.chance_by_rate_figure(row)).to_json())
    assert by_rate["data"][0]["name"] == "recommended: 217 cases tagged '&lt;b&gt;x&lt;/b&gt;$y$'"
    assert "&lt;b&gt;x&lt;/b&gt;&#36;y&#36;" in by_rate["data"][0]["hovertemplate"]
    by_size = json.loads(inert_figure(planner_charts.chance_by_size_figure(row)).to_json())
    assert "&lt;b&gt;x&lt;/b&gt;&#36;y&#36;" in by_size["layout"]["title"]["text"]


# --- CLI -----------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args)


def test_cli_plan_prints_the_same_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "p.duckdb")
    store = seeded_store(Path(db))
    code, _, err = run(capsys, "--db", db, "bar", "plan", "--json")
    assert code == 2 and "no acceptance bar yet" in err
    bar_versions.seed_demo_bar(store)
    code, out, _ = run(capsys, "--db", db, "bar", "plan", "--expected", "0=0.95", "--json")
    assert code == 0
    data = json.loads(out)
    first = data["criteria"][0]
    assert (data["power"], data["search_bound"], data["goldenset"]) == (0.8, 20000, None)
    assert (first["required"], first["stable_from"]) == (217, 254)
    assert first["dips"] == [[218, 228], [235, 241], [253, 253]]
    assert first["chance_at_required"] == pytest.approx(binom.sf(203, 217, 0.95), abs=1e-12)
    assert first["by_size"]["chance"][139] == pytest.approx(0.5987, abs=1e-4)  # 140 cases
    assert len(first["by_rate"]["rate"]) == len(first["by_rate"]["chance_with_required"])
    code, out, _ = run(capsys, "--db", db, "bar", "plan", "--power", "0.9")
    assert code == 0 and "[0] Accuracy on all cases must be at least 90%" in out
    assert "for the chance of passing to reach 90%" in out
    code, _, err = run(capsys, "--db", db, "bar", "plan", "--expected", "9=0.9")
    assert code == 2 and "no criterion 9" in err
    code, _, err = run(capsys, "--db", db, "bar", "plan", "--expected", "0=95")
    assert code == 2 and "between 0 and 1" in err
