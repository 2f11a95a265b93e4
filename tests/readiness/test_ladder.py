"""Every gate just below and just above each threshold, the run of record, pinning."""

from __future__ import annotations

import math

import pytest
from readiness_data import add_approvals, add_graded, run, week_of

from pilot.core.errors import InputError, PermissionDenied
from pilot.core.store import Store
from pilot.readiness.ladder import gate
from pilot.readiness.record import pin_run, run_of_record
from pilot.readiness.settings import gate_settings, save_settings
from pilot.runs.lookup import run_brief


def req(store: Store, from_stage: int, name_part: str) -> dict:
    with store.read() as con:
        g = gate(con, from_stage).as_dict()
    return next(r for r in g["requirements"] if name_part in r["name"])


def met(store: Store, from_stage: int) -> bool:
    with store.read() as con:
        return gate(con, from_stage).met


def wilson_low(k: int, n: int, z: float = 1.959963984540054) -> float:
    """Independent Wilson lower bound (Wilson 1927), written out here."""
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def test_gate_0_1_run_of_record_and_pin(
    pilot_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not met(pilot_store, 0)
    assert "no finished run" in req(pilot_store, 0, "run of record")["evidence"]
    bad = run(capsys, pilot_store, "fake_systems:eighth_right")
    r = req(pilot_store, 0, "run of record")
    assert not r["met"] and bad in r["evidence"] and "Accuracy on all cases" in r["missing"]
    # the figure is the bar's criteria met of all of them (critical errors and the minimum
    # number of cases are requirements of the bar, but not criteria: named, not counted)
    with pilot_store.read() as con:
        criteria = run_brief(con, bad).summary["verdict"]["criteria"]  # type: ignore[union-attr]
    assert (r["value"], r["threshold"]) == (sum(c["passed"] for c in criteria), len(criteria))
    assert r["value"] < r["threshold"]
    good = run(capsys, pilot_store, "fake_systems:good")
    assert met(pilot_store, 0)  # the newest finished run on the current versions
    with pilot_store.read() as con:
        record = run_of_record(con)
    assert record is not None and record.run_id == good and not record.pinned and record.passed
    # a lead pins the failing run: it is the run of record, and the gate follows it
    with pytest.raises(PermissionDenied):
        pin_run(pilot_store, "marco", bad)
    with pytest.raises(InputError, match="no such run"):
        pin_run(pilot_store, "priya", "run-nope")
    pinned = pin_run(pilot_store, "priya", bad)
    assert pinned.pinned and pinned.pinned_by == "priya" and not pinned.passed
    with pilot_store.read() as con:
        assert run_of_record(con).run_id == bad  # type: ignore[union-attr]
        events = con.execute("SELECT object FROM audit_events WHERE action = 'run.pin'").fetchall()
    assert events == [(f"run:{bad}",)]
    # the 0 → 1 gate judges the active config (the newest, `good`'s): a pin of another
    # config's run does not stand in for it
    assert met(pilot_store, 0)
    pin_run(pilot_store, "priya", good)
    with pilot_store.read() as con:
        assert run_of_record(con).run_id == good  # type: ignore[union-attr]


def test_gate_1_2_enough_graded(pilot_store: Store) -> None:
    add_graded(pilot_store, stage=1, n=49, correct=49)
    r = req(pilot_store, 1, "enough live outputs")
    assert not r["met"] and r["value"] == 49 and r["missing"] == "1 more graded outputs"
    add_graded(pilot_store, stage=1, n=1, correct=1, prefix="p")
    assert req(pilot_store, 1, "enough live outputs")["met"]
    add_graded(pilot_store, stage=2, n=30, correct=30, prefix="s2")  # other stages do not count
    assert req(pilot_store, 1, "enough live outputs")["value"] == 50


def test_gate_1_2_accuracy_on_the_threshold(pilot_store: Store) -> None:
    add_graded(pilot_store, stage=1, n=50, correct=39)  # 0.78 < 0.80
    r = req(pilot_store, 1, "live accuracy")
    assert not r["met"] and r["value"] == pytest.approx(0.78) and r["threshold"] == 0.8
    assert "no number of graded outputs" in r["missing"]  # at 78% the bar is out of reach
    add_graded(pilot_store, stage=1, n=50, correct=40, prefix="b")  # pooled 79/100
    assert not req(pilot_store, 1, "live accuracy")["met"]
    add_graded(pilot_store, stage=1, n=1, correct=1, prefix="c")  # 80/101 = 0.792
    assert not req(pilot_store, 1, "live accuracy")["met"]
    add_graded(pilot_store, stage=1, n=4, correct=4, prefix="d")  # 84/105 = 0.80 exactly
    r = req(pilot_store, 1, "live accuracy")
    assert r["value"] == pytest.approx(0.8) and r["met"]


def test_gate_1_2_lower_bound_basis_and_planner(pilot_store: Store) -> None:
    from pilot.define.bar_versions import save_draft, sign_bar
    from pilot.define.bars import AcceptanceBar
    from pilot.define.criteria import Criterion

    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.8, judged_on="lower_bound"),),
        min_cases=20, max_critical_errors=0, when_unsure="abstain",
    )  # fmt: skip
    save_draft(pilot_store, "priya", bar)
    sign_bar(pilot_store, "priya")
    add_graded(pilot_store, stage=1, n=60, correct=54)  # 90%, lower bound ≈ 0.798
    r = req(pilot_store, 1, "live accuracy")
    assert r["low"] == pytest.approx(wilson_low(54, 60)) and wilson_low(54, 60) < 0.8
    assert (
        not r["met"] and r["missing"].startswith("about ") and "more graded outputs" in r["missing"]
    )
    add_graded(pilot_store, stage=1, n=10, correct=10, prefix="x")  # 64/70, low ≈ 0.825
    r = req(pilot_store, 1, "live accuracy")
    assert wilson_low(64, 70) >= 0.8 and r["met"] and r["missing"] == ""


def test_gate_1_2_critical_error_in_latest_window(pilot_store: Store) -> None:
    add_graded(pilot_store, stage=1, n=50, correct=45, critical=1, week="2026-W40")
    r = req(pilot_store, 1, "critical")
    assert not r["met"] and r["value"] == 1
    add_graded(pilot_store, stage=1, n=10, correct=10, week="2026-W41", prefix="n")
    r = req(pilot_store, 1, "critical")
    assert r["met"] and "2026-W41" in r["evidence"]


def test_gate_1_2_agreement_level(pilot_store: Store) -> None:
    import krippendorff
    import numpy as np

    add_graded(pilot_store, stage=1, n=20, correct=15, evaluators=("marco", "erin"))

    def flip(con) -> None:  # type: ignore[no-untyped-def]
        con.execute(
            "UPDATE grades SET verdict = 'incorrect', severity = 'minor' "
            "WHERE evaluator = 'erin' AND output_id IN ('o-2026-W40-0', 'o-2026-W40-1')"
        )

    pilot_store.write(flip)
    codes = {"correct": 0, "incorrect": 1}
    marco = ["correct"] * 15 + ["incorrect"] * 5
    erin = ["incorrect"] * 2 + ["correct"] * 13 + ["incorrect"] * 5
    expected = krippendorff.alpha(
        reliability_data=np.array([[codes[v] for v in marco], [codes[v] for v in erin]], float),
        level_of_measurement="nominal",
    )
    r = req(pilot_store, 1, "graders agree")
    assert r["value"] == pytest.approx(expected) and r["n"] == 20
    save_settings(pilot_store, "priya", {"min_agreement": round(expected, 6) + 0.001})
    assert not req(pilot_store, 1, "graders agree")["met"]
    save_settings(pilot_store, "priya", {"min_agreement": round(expected, 6) - 0.001})
    assert req(pilot_store, 1, "graders agree")["met"]
    with pilot_store.read() as con:
        assert gate_settings(con).version == 2


def test_gate_1_2_met_in_full(pilot_store: Store) -> None:
    add_graded(pilot_store, stage=1, n=50, correct=45, evaluators=("marco", "erin"))
    assert met(pilot_store, 1)


def _approval_settings(store: Store) -> None:
    save_settings(store, "priya", {"approval_threshold": 0.9, "approval_judged_on": "point",
                                   "min_approvals_per_window": 30, "approval_windows": 2})  # fmt: skip


def test_gate_2_3_rate_on_the_threshold(pilot_store: Store) -> None:
    _approval_settings(pilot_store)
    add_approvals(pilot_store, week=week_of(0), n=30, approved=27)  # 0.90 exactly
    add_approvals(pilot_store, week=week_of(1), n=30, approved=26)  # 0.867
    assert not met(pilot_store, 2)
    assert req(pilot_store, 2, f"rate in {week_of(0)}")["met"]
    r = req(pilot_store, 2, f"rate in {week_of(1)}")
    assert not r["met"] and r["value"] == pytest.approx(26 / 30)
    add_approvals(pilot_store, week=week_of(2), n=30, approved=28)  # the latest two: 0.9, 0.93
    add_approvals(pilot_store, week=week_of(3), n=30, approved=27)
    assert met(pilot_store, 2)


def test_gate_2_3_enough_approvals_and_consecutive(pilot_store: Store) -> None:
    _approval_settings(pilot_store)
    add_approvals(pilot_store, week=week_of(0), n=29, approved=29)
    add_approvals(pilot_store, week=week_of(1), n=30, approved=30)
    r = req(pilot_store, 2, f"rate in {week_of(0)}")
    assert not r["met"] and "1 more approvals" in r["missing"]
    assert not met(pilot_store, 2)
    add_approvals(pilot_store, week=week_of(3), n=30, approved=30)  # W41 and W43: a gap
    assert not req(pilot_store, 2, "consecutive")["met"]
    add_approvals(pilot_store, week=week_of(2), n=30, approved=30)
    assert req(pilot_store, 2, "consecutive")["met"] and met(pilot_store, 2)


def test_gate_2_3_critical_error_and_lower_bound(pilot_store: Store) -> None:
    add_approvals(pilot_store, week=week_of(0), n=60, approved=60)
    add_approvals(pilot_store, week=week_of(1), n=100, approved=96)
    # default: judged on the lower bound, 0.90
    assert wilson_low(96, 100) >= 0.9 and met(pilot_store, 2)
    assert req(pilot_store, 2, f"rate in {week_of(1)}")["low"] == pytest.approx(wilson_low(96, 100))
    add_graded(pilot_store, stage=2, n=5, correct=4, critical=1, week=week_of(1))
    assert not req(pilot_store, 2, f"no critical error in {week_of(1)}")["met"]
    assert not met(pilot_store, 2)


def test_gate_2_3_lower_bound_just_below(pilot_store: Store) -> None:
    add_approvals(pilot_store, week=week_of(0), n=60, approved=60)
    add_approvals(pilot_store, week=week_of(1), n=100, approved=95)
    assert wilson_low(95, 100) < 0.9 and not met(pilot_store, 2)


def test_settings_refuse_bad_values(pilot_store: Store) -> None:
    with pytest.raises(InputError, match="min_agreement"):
        save_settings(pilot_store, "priya", {"min_agreement": 1.5})
    with pytest.raises(InputError, match="not a gate setting"):
        save_settings(pilot_store, "priya", {"bogus": 1})
    with pytest.raises(PermissionDenied):
        save_settings(pilot_store, "marco", {"min_live_graded": 10})
    with pilot_store.read() as con:
        assert gate_settings(con).version == 0


def test_critical_errors_per_week_count_outputs_once() -> None:
    from pilot.readiness.charts import critical_counts, critical_figure

    windows = [{"window": w} for w in ("2026-W40", "2026-W41", "2026-W42")]
    critical = [
        {"window": "2026-W41", "output_id": "a"},
        {"window": "2026-W41", "output_id": "a"},  # a second grader on the same output
        {"window": "2026-W41", "output_id": "b"},
        {"window": "2026-W42", "output_id": "c"},
    ]
    assert critical_counts(windows, critical) == {"2026-W40": 0, "2026-W41": 2, "2026-W42": 1}
    bars = critical_figure(windows, critical).data[0]
    assert list(bars.y) == [0, 2, 1]


def test_critical_errors_per_week_in_words() -> None:
    from pilot.readiness.charts import critical_sentence

    windows = [{"window": w} for w in ("2026-W40", "2026-W41", "2026-W42")]
    critical = [
        {"window": "2026-W41", "output_id": "a"},
        {"window": "2026-W41", "output_id": "a"},  # a second grader on the same output
        {"window": "2026-W41", "output_id": "b"},
    ]
    assert critical_sentence(windows, critical) == (
        "Critical errors graded per week (the gates allow none): 2026-W41: 2; "
        "none in the other 2 of 3 graded weeks."
    )
    assert critical_sentence(windows, []) == (
        "Critical errors graded per week: none in any of the 3 graded weeks."
    )
    assert critical_sentence([], []) == "Critical errors graded per week: no week graded yet."


def test_evaluators_see_whether_live_gates_are_met_but_not_the_grades(pilot_store: Store) -> None:
    from pilot.readiness.status import HIDDEN, readiness

    add_graded(pilot_store, stage=1, n=50, correct=45, evaluators=("marco", "erin"))
    with pilot_store.read() as con:
        lead, evaluator = readiness(con, "priya"), readiness(con, "marco")
    live = [r for g in lead["gates"][1:] for r in g["requirements"]]
    assert any(r["value"] is not None and r["n"] > 0 for r in live)  # the lead sees figures
    blind = [r for g in evaluator["gates"][1:] for r in g["requirements"]]
    assert [r["met"] for r in blind] == [r["met"] for r in live]
    assert all(r["value"] is None and r["n"] == 0 and r["evidence"] == HIDDEN for r in blind)
    assert evaluator["gates"][0] == lead["gates"][0]  # the golden-set gate holds no grades
    items = {i["name"]: i for i in evaluator["scorecard"]}
    assert items["Human oversight"]["evidence"] == HIDDEN
    assert items["Data boundary"] == {i["name"]: i for i in lead["scorecard"]}["Data boundary"]
    assert "45" not in str(evaluator["gates"][1:])
