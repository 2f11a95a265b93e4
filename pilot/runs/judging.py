"""The "judge" match rule: an LLM grades each answered, answerable result under the bar's rubric.

Verdicts are stored per result with the judge model that answered, the prompt hash and the
reasoning, so a judged figure can be traced and re-judged alike. Only results without a verdict
are sent, so resuming a run never judges a case twice. The kill switch stops the judge too.
"""

from __future__ import annotations

import asyncio
from typing import Any

import duckdb

from pilot.core import audit, killswitch
from pilot.core.errors import Halted, InputError
from pilot.core.store import Store
from pilot.define.bars import DEFAULT_JUDGE_MODEL, DEFAULT_RUBRIC, MatchRule
from pilot.runs.judge_client import JudgeItem, judge_answers


def pending_items(con: duckdb.DuckDBPyConnection, run_id: str) -> list[JudgeItem]:
    rows = con.execute(
        """
        SELECT r.case_id, g.question, g.expected_answer, r.answer
        FROM results r
        JOIN runs u ON u.run_id = r.run_id
        JOIN golden_cases g ON g.version = u.goldenset_version AND g.case_id = r.case_id
        WHERE r.run_id = ? AND g.answerable AND NOT r.abstained AND r.error IS NULL
          AND NOT EXISTS (SELECT 1 FROM judgements j
                          WHERE j.run_id = r.run_id AND j.case_id = r.case_id)
        ORDER BY g.position
        """,
        [run_id],
    ).fetchall()
    return [JudgeItem(r[0], r[1], r[2] or "", r[3] or "") for r in rows]


def judge_run(
    store: Store, run_id: str, rule: MatchRule, client_kwargs: dict[str, Any] | None = None
) -> int:
    """Judge every result still without a verdict; returns how many were judged."""
    import anthropic

    with store.read() as con:
        killswitch.check(con)
        items = pending_items(con, run_id)
    if not items:
        return 0
    kwargs = {k: v for k, v in (client_kwargs or {}).items() if k in {"api_key", "base_url"}}
    try:
        client = anthropic.AsyncAnthropic(max_retries=0, **kwargs)
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
