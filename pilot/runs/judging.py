"""The "judge" match rule: an LLM grades each answered, answerable result under the bar's rubric.

Verdicts are stored per result with the judge model that answered, the prompt hash and the
reasoning, so a judged figure can be traced and re-judged alike. Only results without a verdict
are sent, so resuming a run never judges a case twice. The kill switch stops the judge too.
"""

from __future__ import annotations

import asyncio
from typing import Any

import duckdb
import polars as pl

from pilot.core import audit, killswitch
from pilot.core.errors import Halted, InputError
from pilot.core.store import Store, frame
from pilot.define.bars import DEFAULT_JUDGE_MODEL, DEFAULT_RUBRIC, MatchRule
from pilot.goldensets import stored
from pilot.runs.judge_client import JudgeItem, judge_answers
from pilot.runs.record import goldenset_version
from pilot.runs.systems.connection import Connection


def pending_items(con: duckdb.DuckDBPyConnection, run_id: str) -> list[JudgeItem]:
    """Answered, answerable results not judged yet, in file order, as they may leave for the
    judge: the question, expected answer and answer all cross the data boundary, so all are
    redacted by the current boundary's redactor, as a run's requests are."""
    from pilot.define.redaction import redact, redactor_for
    from pilot.runs.edge import load_edge

    redactor = redactor_for(load_edge(con).boundary)
    answered = frame(
        con,
        """
        SELECT r.case_id, r.answer FROM results r
        WHERE r.run_id = ? AND NOT r.abstained AND r.error IS NULL
          AND NOT EXISTS (SELECT 1 FROM judgements j
                          WHERE j.run_id = r.run_id AND j.case_id = r.case_id)
        """,
        [run_id],
    )
    cases = stored.case_frame(con, goldenset_version(con, run_id) or "").filter(
        pl.col("answerable")
    )
    rows = answered.join(cases, on="case_id", how="inner").sort("position")
    return [
        JudgeItem(
            case_id,
            redact(question, redactor).text,
            redact(expected or "", redactor).text,
            redact(answer or "", redactor).text,
        )
        for case_id, question, expected, answer in rows.select(
            "case_id", "question", "expected_answer", "answer"
        ).iter_rows()
    ]


def judge_run(
    store: Store, run_id: str, rule: MatchRule, connection: Connection | None = None
) -> int:
    """Judge every result still without a verdict; returns how many were judged."""
    import anthropic

    with store.read() as con:
        killswitch.check(con)
        items = pending_items(con, run_id)
    if not items:
        return 0
    connection = connection or Connection()
    try:
        client = anthropic.AsyncAnthropic(
            api_key=connection.key(), base_url=connection.base_url, max_retries=0
        )
    except anthropic.AnthropicError:
        raise InputError(
            "the bar's match rule is an LLM judge, which needs ANTHROPIC_API_KEY"
        ) from None

    sentinel = killswitch.sentinel(store)
    wave = 4  # the judge's own concurrency: the switch is checked before every wave of calls

    def save(verdicts: list[Any]) -> None:
        now = audit.utc_now()

        def body(con: duckdb.DuckDBPyConnection) -> None:
            con.executemany(
                "INSERT INTO judgements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [
                    [
                        run_id,
                        v.case_id,
                        v.correct,
                        v.reasoning,
                        v.model,
                        v.prompt_hash,
                        v.error,
                        v.input_tokens,
                        v.output_tokens,
                        now,
                    ]
                    for v in verdicts
                ],
            )

        store.write(body)

    async def go() -> int:
        judged = 0
        try:
            for i in range(0, len(items), wave):
                if sentinel.exists():
                    raise Halted("halted by the kill switch while judging")
                verdicts = await judge_answers(
                    items[i : i + wave],
                    rule.rubric or DEFAULT_RUBRIC,
                    rule.judge_model or DEFAULT_JUDGE_MODEL,
                    client,
                    concurrency=wave,
                )
                await asyncio.to_thread(save, verdicts)  # a crash loses at most one wave
                judged += len(verdicts)
        finally:
            await client.close()
        return judged

    verdicts_count = asyncio.run(go())
    return verdicts_count
