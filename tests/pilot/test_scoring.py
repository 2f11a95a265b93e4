"""Scoring at the end of a run: the LLM-judge rule, graded, stored and stopped by the kill
switch (the verdict rules themselves: test_verdicts.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import seeded_store, write_cases
from stub_messages_api import MessagesStub, question, text_block

from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar, MatchRule
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.results.report import run_report
from pilot.runs.scoring import explain
from pilot.runs.start import start_or_resume
from pilot.runs.systems.connection import Connection


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
            connection=Connection(api_key="k", base_url=stub.base_url),
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
    from pilot.core import killswitch

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
        kw = Connection(api_key="k", base_url=stub.base_url)
        halted = start_or_resume(
            store, "priya", goldenset="leave", config=SystemConfig(), connection=kw
        )
        assert halted.status == "halted" and len(calls) == 4  # one wave, then stopped
        with store.read() as con:
            assert con.execute("SELECT count(*) FROM judgements").fetchone()[0] == 4
        killswitch.release(store, "priya")
        stub.responder = grading
        done = start_or_resume(store, "priya", resume_id=halted.run_id, connection=kw)
    assert done.status == "finished" and len(stub.message_bodies()) == 9
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM judgements").fetchone()[0] == 9


@pytest.mark.parametrize(
    ("row", "sentence"),
    [
        (
            {"error": "timeout", "answerable": True, "correct": False},
            "Incorrect: the system failed (timeout); errors count as incorrect.",
        ),
        (
            {"answerable": False, "abstained": True, "correct": True},
            "Correct: the documents do not answer this and the system abstained.",
        ),
        (
            {"answerable": False, "abstained": False, "correct": False},
            "Incorrect: the documents do not answer this, but the system answered anyway.",
        ),
        (
            {"answerable": True, "abstained": True, "correct": False},
            "Incorrect: the documents answer this, but the system abstained.",
        ),
        (
            {"answerable": True, "correct": True, "expected_answer": "25 days"},
            "Correct: the answer matches the expected answer '25 days' (contains rule).",
        ),
        (
            {
                "answerable": True,
                "correct": False,
                "expected_answer": "25 days",
                "match_rule": "f1>=0.5",
            },
            "Incorrect: the answer does not match the expected answer '25 days' (f1>=0.5 rule).",
        ),
    ],
)
def test_each_result_is_explained_in_a_sentence(row: dict[str, Any], sentence: str) -> None:
    assert explain(row) == sentence


def test_finish_scores_by_the_rule_stores_the_summary_and_audits_its_digests(
    tmp_path: Path,
) -> None:
    """Twelve cases on the offline system and no bar. Its answers, case by case: the annual
    leave and sick pay questions (c-000, 002, 004, ...) get the sentence holding "25 days" or
    "12 weeks"; the carry-over and parking questions get the contact sentence (the redacted
    e-mail and phone in each question match its "[EMAIL]" and "[PHONE]"). So the default rule
    (contains) marks 6 of 12 right. Rescoring by another rule rewrites `correct` and the
    rule's label for every result."""
    from pilot.core import audit
    from pilot.runs.integrity import results_digest, summary_digest
    from pilot.runs.scoring import bar_for_run, score

    store: Store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 12), name="leave")
    run_id = start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id
    right = {f"c-{i:03d}": i % 4 in (0, 2) for i in range(12)}

    def scored(con: Any) -> dict[str, tuple[bool, str]]:
        rows = con.execute(
            "SELECT case_id, correct, match_rule FROM results WHERE run_id = ?", [run_id]
        ).fetchall()
        return {case: (correct, rule) for case, correct, rule in rows}

    with store.read() as con:
        assert scored(con) == {c: (ok, "contains") for c, ok in right.items()}
        assert bar_for_run(con, run_id) is None  # started without a bar
        status = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
        assert status == ("finished",)
        summary_json = con.execute(
            "SELECT summary FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()[0]
        (event,) = audit.events(con, action="run.finish")
        assert event.payload["results_digest"] == results_digest(con, run_id)
        assert event.payload["summary_digest"] == summary_digest(summary_json)
    summary = json.loads(summary_json)
    assert summary["metrics"]["accuracy"]["value"] == 6 / 12
    assert summary["verdict"]["exploratory"] is True and summary["verdict"]["passed"] is False
    assert summary["models_returned"] == ["offline-bm25-v1"]
    assert event.payload["accuracy"] == summary["metrics"]["accuracy"]
    assert (event.payload["passed"], event.payload["exploratory"]) == (False, True)
    with store.transaction() as con:
        score(con, run_id, MatchRule(rule="exact"))
        assert scored(con) == {c: (False, "exact") for c in right}
        score(con, run_id, MatchRule(rule="numeric", tolerance=0.5))
        assert scored(con) == {c: (ok, "numeric±0.5") for c, ok in right.items()}
        # token F1 of "Employees receive 25 days of annual leave each year." with "25 days":
        # 2 tokens in common of 9 and 2, F1 = 4/11 = 0.36: right at 0.3, wrong at the 0.5 default
        score(con, run_id, MatchRule(rule="f1", threshold=0.3))
        assert scored(con) == {c: (ok, "f1>=0.3") for c, ok in right.items()}
        score(con, run_id, MatchRule(rule="f1"))
        assert scored(con) == {c: (False, "f1>=0.5") for c in right}
        # one day out: inside a tolerance of 1, outside the default of 0
        con.execute(
            "UPDATE results SET answer = 'About 26 days.' WHERE run_id = ? AND case_id = 'c-000'",
            [run_id],
        )
        score(con, run_id, MatchRule(rule="numeric", tolerance=1.0))
        assert scored(con)["c-000"] == (True, "numeric±1.0")
        score(con, run_id, MatchRule(rule="numeric"))
        assert scored(con)["c-000"] == (False, "numeric±0.0")


def test_finish_refuses_a_run_whose_golden_set_changed_after_it_started(tmp_path: Path) -> None:
    """The score rests on the cases as they were imported: a case edited in the file after the
    run started (without the pilot key) stops the run at scoring, and nothing is finished."""
    from pilot.core.access import Actor
    from pilot.runs.integrity import TamperedRecord
    from pilot.runs.scoring import finish_run
    from pilot.runs.start import prepare_run

    store: Store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 4), name="leave")
    run_id = prepare_run(store, "priya", goldenset="leave", config=SystemConfig())
    with store.transaction() as con:
        con.execute("UPDATE golden_cases SET expected_answer = '20 days' WHERE case_id = 'c-000'")
    with pytest.raises(TamperedRecord, match="cases changed"):
        finish_run(store, Actor("priya", "lead"), run_id)
    with store.read() as con:
        assert con.execute("SELECT status FROM runs").fetchone() == ("running",)


def test_the_stored_summary_is_what_the_scored_rows_summarise_to_and_score_returns_them(
    tmp_path: Path,
) -> None:
    """Finishing a run summarises the rows it scored without reading them again: `summarise`
    (which reads them afresh, as the evidence pack does) gives the stored summary exactly,
    judged against the run's own signed bar, and `score_rows` hands back the rows with
    `correct` and `match_rule` as it wrote them."""
    from pilot.runs.record import result_rows
    from pilot.runs.scoring import bar_for_run, score_rows, summarise

    store: Store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 8), name="leave")
    bar = AcceptanceBar(
        criteria=(Criterion(metric="accuracy", threshold=0.5, judged_on="point"),),
        min_cases=8,
        max_critical_errors=8,
        when_unsure="abstain",
    )
    save_draft(store, "priya", bar)
    sign_bar(store, "priya")
    run_id = start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id
    with store.read() as con:
        stored = json.loads(
            con.execute("SELECT summary FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
        )
        assert summarise(con, run_id) == stored
        assert bar_for_run(con, run_id).version == 1
        assert bar_for_run(con, "no-such-run") is None  # no run at all: no bar
    assert stored["metrics"]["accuracy"]["value"] == 4 / 8  # c-000, 002, 004, 006 (see above)
    # judged against bar v1, not exploratory: 4 of 8 meets an accuracy of at least 0.5
    assert (stored["verdict"]["exploratory"], stored["verdict"]["passed"]) == (False, True)
    assert stored["models_returned"] == ["offline-bm25-v1"]
    with store.transaction() as con:
        before = result_rows(con, run_id)
        returned = score_rows(con, run_id, before, MatchRule(rule="f1", threshold=0.3))
        written = result_rows(con, run_id)
    assert returned.schema == before.schema
    assert returned.select("case_id", "correct", "match_rule").sort("case_id").rows() == (
        written.select("case_id", "correct", "match_rule").sort("case_id").rows()
    )
    assert set(returned["match_rule"]) == {"f1>=0.3"}
    assert returned["correct"].to_list() == [
        case_id in ("c-000", "c-002", "c-004", "c-006") for case_id in returned["case_id"]
    ]


def test_a_run_with_too_many_errors_is_kept_open_as_inconclusive(tmp_path: Path) -> None:
    """Finishing a run whose calls all failed judges nothing: the run is stored and audited as
    inconclusive (so `pilot run --resume` calls the errored cases again), not finished."""
    from pilot.core import audit
    from pilot.core.access import Actor
    from pilot.runs.scoring import finish_run

    store: Store = seeded_store(tmp_path / "p.duckdb")
    import_goldenset(store, "priya", write_cases(tmp_path / "c.jsonl", 4), name="leave")
    run_id = start_or_resume(store, "priya", goldenset="leave", config=SystemConfig()).run_id
    with store.transaction() as con:  # as if every call had timed out
        con.execute("UPDATE results SET error = 'timeout' WHERE run_id = ?", [run_id])
    summary = finish_run(store, Actor("priya", "lead"), run_id)
    assert summary["verdict"]["inconclusive"] is True and summary["verdict"]["errors"] == 4
    with store.read() as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone() == (
            "inconclusive",
        )
        finishes = audit.events(con, action="run.finish")
    assert sorted((e.payload["status"], e.payload["errors"]) for e in finishes) == [
        ("finished", 0),
        ("inconclusive", 4),
    ]
    # each finish is recorded against this run, by the person who finished it
    assert {(e.actor, e.role, e.object) for e in finishes} == {("priya", "lead", f"run:{run_id}")}
