"""Scoring, verdicts and the LLM-judge rule, checked against hand-worked figures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import seeded_store, write_cases
from metric_frames import (
    CITATIONS_SCHEMA,
    CLAIMS_SCHEMA,
    EVIDENCE_SCHEMA,
    RESULTS_SCHEMA,
    SOURCES_SCHEMA,
)
from stub_messages_api import MessagesStub, question, text_block

from metrics import wilson
from pilot.bars import AcceptanceBar, Criterion, MatchRule, save_draft, sign_bar
from pilot.goldensets import import_goldenset
from pilot.models import SystemConfig
from pilot.results import RunFrames
from pilot.runs import run_report, start_or_resume
from pilot.store import Store
from pilot.verdicts import critical_errors, judge


def frames(rows: list[dict[str, Any]]) -> RunFrames:
    """A run's frames with the runner's schemas: these rows, no citations, claims or sources."""
    schemas = (CITATIONS_SCHEMA, CLAIMS_SCHEMA, SOURCES_SCHEMA, EVIDENCE_SCHEMA)
    return RunFrames(
        pl.DataFrame(rows, schema=RESULTS_SCHEMA), *(pl.DataFrame(schema=s) for s in schemas)
    )


def row(
    i: int,
    correct: bool,
    *,
    answerable: bool = True,
    abstained: bool = False,
    tags: tuple[str, ...] = (),
    consequential: bool = False,
) -> dict[str, Any]:
    return {
        "case_id": f"c{i}",
        "answer": "x",
        "abstained": abstained,
        "correct": correct,
        "error": None,
        "answerable": answerable,
        "expected_answer": "x" if answerable else None,
        "tags": list(tags),
        "consequential": consequential,
    }


def test_verdict_lower_bound_point_and_tag_scope() -> None:
    # 18 of 20 correct: point 0.90; Wilson 95% lower bound = 0.699 (hand-worked:
    # (p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with p=.9, n=20, z=1.96).
    rows = [row(i, i >= 2, tags=("numeric",) if i < 10 else ()) for i in range(20)]
    bar = {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.85, "scope": "all", "judged_on": "point"},
            {"metric": "accuracy", "threshold": 0.85, "scope": "all", "judged_on": "lower_bound"},
            {"metric": "accuracy", "threshold": 0.85, "scope": "tag:numeric", "judged_on": "point"},
        ],
        "min_cases": 10,
        "max_critical_errors": 0,
    }
    v = judge(frames(rows), bar, 3, signed=True)
    point, lower, tagged = v.criteria
    assert point.value == pytest.approx(0.9) and point.passed
    assert lower.low == pytest.approx(0.6990, abs=1e-4) and not lower.passed
    assert tagged.n == 10 and tagged.value == pytest.approx(0.8) and not tagged.passed
    assert not v.passed and not v.exploratory and v.min_cases_met


def test_at_most_metric_judged_on_upper_bound() -> None:
    # 1 false abstention among 40 answerable: 0.025, Wilson upper bound 0.1288.
    rows = [row(i, i != 0, abstained=i == 0) for i in range(40)]
    bar = {
        "criteria": [
            {"metric": "false_abstain_rate", "threshold": 0.10, "judged_on": "lower_bound"}
        ],
        "min_cases": 1,
    }
    c = judge(frames(rows), bar, 1, signed=True).criteria[0]
    assert c.direction == "at_most" and c.judged_value == pytest.approx(0.1288, abs=1e-4)
    assert not c.passed


def test_no_data_fails_and_unsigned_is_exploratory() -> None:
    rows = [row(i, True) for i in range(5)]
    bar = {
        "criteria": [
            {"metric": "abstain_rate_unanswerable", "threshold": 0.5, "judged_on": "point"}
        ],
        "min_cases": 1,
    }
    v = judge(frames(rows), bar, 1, signed=False)
    assert v.criteria[0].n == 0 and not v.criteria[0].passed and v.exploratory


def test_critical_errors_are_wrong_answers_on_consequential_cases() -> None:
    rows = [
        row(0, False, consequential=True),
        row(1, False, consequential=True, abstained=True),
        row(2, True, consequential=True),
        row(3, False),
    ]
    assert critical_errors(frames(rows).results) == ["c0"]


def test_an_errored_consequential_case_goes_to_a_person_not_the_critical_count() -> None:
    failed = {**row(0, False, consequential=True), "error": "gave up after 6 attempts: 529"}
    rows = [failed, row(1, False, consequential=True)]
    assert critical_errors(frames(rows).results) == ["c1"]


def edge_rows() -> list[dict[str, Any]]:
    """20 answerable cases: c0 abstains, c1 (consequential) is wrong, the other 18 are right.
    Accuracy 18/20 = 0.90 exactly, false abstentions 1/20 = 0.05 exactly."""
    return [row(i, i >= 2, abstained=i == 0, consequential=i == 1) for i in range(20)]


def edge_bar(nudge: float = 0.0) -> dict[str, Any]:
    """Every threshold exactly on the figure it is compared with (`nudge` moves each one
    against the system): point, Wilson lower bound, and for the lower-is-better rate the
    point and the Wilson upper bound; min_cases and max_critical_errors on the counts."""
    low, _ = wilson(18, 20)
    _, high = wilson(1, 20)
    return {
        "criteria": [
            {"metric": "accuracy", "threshold": 0.9 + nudge, "judged_on": "point"},
            {"metric": "accuracy", "threshold": low + nudge, "judged_on": "lower_bound"},
            {"metric": "false_abstain_rate", "threshold": 0.05 - nudge, "judged_on": "point"},
            {"metric": "false_abstain_rate", "threshold": high - nudge, "judged_on": "lower_bound"},
        ],
        "min_cases": 20,
        "max_critical_errors": 1,
    }


def test_a_figure_exactly_on_the_threshold_meets_it() -> None:
    """ "At least 90%" is met by 90% and "at most 5%" by 5%, on the point and on the bound."""
    v = judge(frames(edge_rows()), edge_bar(), 2, signed=True)
    low, _ = wilson(18, 20)
    _, high = wilson(1, 20)
    assert [c.judged_value for c in v.criteria] == [0.9, low, 0.05, high]
    assert [c.direction for c in v.criteria] == ["at_least"] * 2 + ["at_most"] * 2
    assert [c.passed for c in v.criteria] == [True] * 4
    assert v.n_cases == v.min_cases == 20 and v.min_cases_met
    assert v.critical_errors == ["c1"] and v.max_critical_errors == 1
    assert v.passed and not v.exploratory


def test_a_figure_just_short_of_the_threshold_misses_it() -> None:
    v = judge(frames(edge_rows()), edge_bar(nudge=1e-9), 2, signed=True)
    assert [c.passed for c in v.criteria] == [False] * 4 and not v.passed


@pytest.mark.parametrize(
    ("change", "min_cases_met"),
    [({"min_cases": 21}, False), ({"max_critical_errors": 0}, True)],
)
def test_one_case_short_or_one_critical_error_too_many_fails(
    change: dict[str, int], min_cases_met: bool
) -> None:
    v = judge(frames(edge_rows()), {**edge_bar(), **change}, 2, signed=True)
    assert all(c.passed for c in v.criteria)
    assert v.min_cases_met is min_cases_met and not v.passed


def grading(body: dict[str, Any]) -> list[dict[str, Any]]:
    prompt = question(body)
    reference = re.search(r"Reference answer:\n(.*)\n", prompt).group(1)
    graded = prompt.split("Answer to grade:\n", 1)[1]
    number = re.search(r"\d+", reference).group()
    return [text_block(json.dumps({"correct": number in graded, "reasoning": f"saw {number}?"}))]


def test_judge_rule_grades_with_the_llm_and_records_it(tmp_path: Path) -> None:
    store: Store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.5, judged_on="point"),),
        min_cases=5,
        when_unsure="abstain",
        match_rule=MatchRule(rule="judge", judge_model="claude-haiku-4-5"),
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    with MessagesStub(responder=grading) as stub:
        outcome = start_or_resume(
            store,
            "priya",
            goldenset="leave",
            config=SystemConfig(),
            system_kwargs={"api_key": "k", "base_url": stub.base_url},
        )
        judged_calls = len(stub.message_bodies())
    with store.read() as con:
        verdicts = con.execute(
            "SELECT j.case_id, j.correct, j.model, j.prompt_hash, r.correct, r.match_rule, "
            "r.answer FROM judgements j JOIN results r USING (run_id, case_id) "
            "WHERE run_id = ?",
            [outcome.run_id],
        ).fetchall()
    # 12 cases, 3 unanswerable: 9 answerable answers judged (the offline system never abstains)
    assert judged_calls == len(verdicts) == 9
    for _, judged, model, prompt_hash, correct, rule, _ in verdicts:
        assert model == "claude-haiku-4-5" and len(prompt_hash) == 64
        assert correct == judged and rule == "judge:claude-haiku-4-5"
    report = run_report(store, outcome.run_id)
    assert report["verdict"]["exploratory"] is False


def test_kill_switch_stops_the_judge_and_resume_judges_only_the_rest(tmp_path: Path) -> None:
    from pilot import killswitch

    store: Store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.5, judged_on="point"),),
        min_cases=5,
        when_unsure="abstain",
        match_rule=MatchRule(rule="judge"),
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    calls: list[int] = []

    def grade_then_pull_the_plug(body: dict[str, Any]) -> list[dict[str, Any]]:
        calls.append(1)
        if len(calls) == 1:
            killswitch.engage(store, "priya", "judge drill")
        return grading(body)

    with MessagesStub(responder=grade_then_pull_the_plug) as stub:
        kw = {"api_key": "k", "base_url": stub.base_url}
        halted = start_or_resume(
            store, "priya", goldenset="leave", config=SystemConfig(), system_kwargs=kw
        )
        assert halted.status == "halted" and len(calls) == 4  # one wave, then stopped
        with store.read() as con:
            assert con.execute("SELECT count(*) FROM judgements").fetchone()[0] == 4
        killswitch.release(store, "priya")
        stub.responder = grading
        done = start_or_resume(store, "priya", resume_id=halted.run_id, system_kwargs=kw)
    assert done.status == "finished" and len(stub.message_bodies()) == 9
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM judgements").fetchone()[0] == 9
