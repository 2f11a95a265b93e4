"""Scoring at the end of a run: the LLM-judge rule, graded, stored and stopped by the kill
switch (the verdict rules themselves: test_verdicts.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from helpers import seeded_store, write_cases
from stub_messages_api import MessagesStub, question, text_block

from pilot.core.models import SystemConfig
from pilot.core.store import Store
from pilot.define.bar_versions import save_draft, sign_bar
from pilot.define.bars import AcceptanceBar, MatchRule
from pilot.define.criteria import Criterion
from pilot.goldensets.versions import import_goldenset
from pilot.results.report import run_report
from pilot.runs.start import start_or_resume


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
