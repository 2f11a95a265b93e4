"""Dashboard figures against independent computations; approvals; golden-set promotion."""

from __future__ import annotations

import json
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from helpers import run_cli
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint

from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.define.bar_versions import seed_demo_bar
from pilot.goldensets import versions as gs
from pilot.review import approvals, dashboard, grades, promote, queue
from pilot.review.dashboard import agreement


def put_grade(store: Store, output_id: str, who: str, verdict: str) -> None:
    store.write(
        lambda con: con.execute(
            "INSERT INTO assignments SELECT ?, coalesce(max(slot), 0) + 1, ?, 'x' "
            "FROM assignments WHERE output_id = ?",
            [output_id, who, output_id],
        )
    )
    grades.grade(store, who, output_id, verdict, "none" if verdict == "correct" else "minor")


def test_agreement_matches_sklearn_and_krippendorff(sampled: Store) -> None:
    from pilot.core import access

    access.add_user(sampled, "ada", "lou", "evaluator")
    rng = np.random.default_rng(5)
    labels = ["correct", "partly", "incorrect"]
    table: dict[str, dict[str, str]] = {"marco": {}, "erin": {}, "lou": {}}
    for i in range(30):
        oid = f"out-{i:04d}"
        raters = ["marco", "erin"] if i < 20 else ["erin", "lou", "marco"]
        base = labels[rng.integers(3)]
        for who in raters:
            verdict = base if rng.random() < 0.7 else labels[rng.integers(3)]
            put_grade(sampled, oid, who, verdict)
            table[who][oid] = verdict
    with sampled.read() as con:
        result = agreement(con)
    pairs = {(p["a"], p["b"]): p for p in result["pairs"]}
    for a, b in [("erin", "marco"), ("erin", "lou"), ("lou", "marco")]:
        shared = sorted(set(table[a]) & set(table[b]))
        expected = cohen_kappa_score([table[a][o] for o in shared], [table[b][o] for o in shared])
        assert pairs[(a, b)]["n"] == len(shared)
        assert pairs[(a, b)]["kappa"] == pytest.approx(expected, abs=1e-12)
    units = sorted({o for t in table.values() for o in t})
    codes = {v: k for k, v in enumerate(labels)}
    matrix = [[codes[table[r][u]] if u in table[r] else np.nan for u in units] for r in table]
    expected_alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert result["alpha"] == pytest.approx(expected_alpha, abs=1e-9)
    assert result["n_double_graded"] == 30


def test_status_accuracy_interval_threshold_and_cli(
    sampled: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_demo_bar(sampled, "priya")  # signed: accuracy ≥ 90% on the lower bound
    done = 0
    while (item := queue.next_item(sampled, "marco")) is not None:
        verdict = "correct" if done % 4 else "incorrect"
        grades.grade(sampled, "marco", item, verdict, "none" if verdict == "correct" else
                     "critical", note="wrong")  # fmt: skip
        done += 1
    with sampled.read() as con:
        data = dashboard.status(con, "dana")
        live = dashboard.live_evidence(con, "dana")  # what Readiness charts
        with pytest.raises(PermissionDenied):
            dashboard.status(con, "marco")  # evaluators grade blind
        with pytest.raises(PermissionDenied):
            dashboard.live_evidence(con, "marco")
    assert set(live) == {"threshold", "windows", "critical_errors", "approvals"}
    assert live["critical_errors"] == data["critical_errors"]
    assert live["threshold"] == data["threshold"] and live["approvals"] == data["approvals"]
    # the same weeks and figures, without the planner's sentence (Readiness does not show it)
    assert live["windows"] == [{k: v for k, v in w.items() if k != "plan"} for w in data["windows"]]
    (week,) = data["windows"]
    assert (week["graded"], week["correct"], week["sampled"], week["outputs"]) == (20, 15, 20, 60)
    low, high = proportion_confint(15, 20, method="wilson")
    assert week["low"] == pytest.approx(low) and week["high"] == pytest.approx(high)
    assert data["threshold"]["value"] == 0.9 and week["meets_bar"] is False
    # 15 of 20 (75%) is no better than the 90% bar: no number of graded outputs will do
    assert week["plan"].startswith(
        "No number of graded outputs will do: a system whose true rate is 75% is not better "
        "than the 90% threshold"
    )
    assert len(data["critical_errors"]) == 5
    assert data["progress"] == [
        {"evaluator": "marco", "window": "2026-W40", "assigned": 20, "graded": 20}
    ]
    code, out, _ = run_cli(
        capsys, "--db", str(sampled.path), "--user", "priya", "review", "status", "--json"
    )
    assert code == 1  # the latest week is below the bar
    printed = json.loads(out)
    assert printed["windows"][0]["correct"] == 15


def test_approvals_recorded_once(sampled: Store) -> None:
    with sampled.read() as con:
        waiting = approvals.pending(con)
    assert len(waiting) == 12  # 60 outputs, every 5th consequential, stage 2
    first = waiting[0]["output_id"]
    with pytest.raises(InputError, match="edited text"):
        approvals.record_approval(sampled, "priya", first, "edited")
    approvals.record_approval(sampled, "priya", first, "edited", edited_text="24 days")
    with pytest.raises(InputError, match="already has a decision"):
        approvals.record_approval(sampled, "priya", first, "approved")
    with pytest.raises(InputError, match="not a consequential"):
        approvals.record_approval(sampled, "priya", "out-0001", "approved")
    with pytest.raises(PermissionDenied):
        approvals.record_approval(sampled, "marco", waiting[1]["output_id"], "approved")
    approvals.record_approval(sampled, "priya", waiting[1]["output_id"], "approved")
    with sampled.read() as con:
        (row,) = dashboard.status(con, "priya")["approvals"]
    assert (row["decisions"], row["approved"], row["edited"]) == (2, 1, 1)
    assert row["without_edit_rate"] == 0.5


def test_graded_output_joins_a_new_goldenset_version(sampled: Store, tmp_path: Path) -> None:
    seed = tmp_path / "gs.jsonl"
    seed.write_text(json.dumps({
        "id": "c-1", "question": "Leave?", "expected_answer": "25 days",
        "sources": [{"id": "leave", "title": "Leave", "text": "You get 25 days."}],
        "evidence": ["You get 25 days."], "tags": ["numeric"], "answerable": True,
        "consequential": False}) + "\n")  # fmt: skip
    first = gs.import_goldenset(sampled, "priya", seed, name="benefits")
    item = queue.next_item(sampled, "marco")
    with pytest.raises(InputError, match="no grade"):
        promote.add_to_goldenset(sampled, "priya", item, "benefits")
    grades.grade(sampled, "marco", item, "correct", "none")
    with pytest.raises(PermissionDenied):
        promote.add_to_goldenset(sampled, "marco", item, "benefits")
    result = promote.add_to_goldenset(sampled, "priya", item, "benefits")
    assert result.created and result.version != first.version and result.n_cases == 2
    with sampled.read() as con:
        cases = gs.load_cases(con, result.version)
        answer = con.execute("SELECT output FROM live_outputs WHERE id = ?", [item]).fetchone()[0]
    added = cases[-1]
    assert added.id == f"live-{item}" and added.expected_answer == answer
    assert added.evidence == ("Employees receive 25 days of annual leave each year.",)
    assert "from-production" in added.tags
