"""The LLM judge through the real SDK against the local Messages API stub."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import anthropic
import pytest
from stub_messages_api import MessagesStub, question, text_block

from metrics.judge import parse_verdict
from pilot.runs.judge_client import (
    JudgeItem,
    JudgeVerdict,
    judge_answers,
    judge_payload,
    judge_prompt_hash,
)

RUBRIC = "Correct when the answer states the same number of days as the reference."
MODEL = "claude-haiku-4-5"
ITEMS = [
    JudgeItem("c-1", "How much leave?", "25 days", "You get 25 days."),
    JudgeItem("c-2", "How much leave?", "25 days", "You get 20 days."),
]


def grading_responder(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Correct when the reference's first number appears in the answer to grade."""
    prompt = question(body)
    reference = re.search(r"Reference answer:\n(.*)\n", prompt).group(1)
    graded = prompt.split("Answer to grade:\n", 1)[1]
    number = re.search(r"\d+", reference).group()
    verdict = {"correct": number in graded, "reasoning": f"looked for {number}"}
    return [text_block(json.dumps(verdict))]


def judge(stub: MessagesStub, items: list[Any], rubric: str = RUBRIC) -> list[JudgeVerdict]:
    async def go() -> list[JudgeVerdict]:
        client = anthropic.AsyncAnthropic(api_key="sk-judge", base_url=stub.base_url, max_retries=0)
        async with client:
            return await judge_answers(items, rubric, MODEL, client)

    return asyncio.run(go())


def test_verdicts_record_model_prompt_hash_and_reasoning(messages_stub: MessagesStub) -> None:
    messages_stub.responder = grading_responder
    messages_stub.model = "claude-haiku-4-5-20251001"
    first, second = judge(messages_stub, ITEMS)
    assert (first.case_id, first.correct, second.case_id, second.correct) == (
        "c-1",
        True,
        "c-2",
        False,
    )
    assert first.reasoning == "looked for 25" and first.error is None
    assert first.model == "claude-haiku-4-5-20251001"
    assert first.prompt_hash == second.prompt_hash == judge_prompt_hash(RUBRIC)
    assert first.input_tokens > 0 and first.output_tokens > 0
    bodies = messages_stub.message_bodies()
    assert sorted(bodies, key=json.dumps) == sorted(
        (judge_payload(item, RUBRIC, MODEL) for item in ITEMS), key=json.dumps
    )
    assert RUBRIC in bodies[0]["system"]


def test_prompt_hash_follows_the_rubric() -> None:
    assert judge_prompt_hash(RUBRIC) == judge_prompt_hash(RUBRIC)
    assert judge_prompt_hash(RUBRIC) != judge_prompt_hash(RUBRIC + " Be strict.")


def test_mapping_items_are_accepted(messages_stub: MessagesStub) -> None:
    messages_stub.responder = grading_responder
    items = [{"case_id": 7, "question": "q", "expected_answer": "3 weeks", "answer": "3 weeks"}]
    (verdict,) = judge(messages_stub, items)
    assert (verdict.case_id, verdict.correct) == ("7", True)


@pytest.mark.parametrize(
    "reply",
    [
        "Yes, it is correct.",
        '{"correct": "yes", "reasoning": "same"}',
        '{"correct": true}',
        '{"correct": true, "reasoning": "ok", "score": 1}',
        "[true]",
    ],
)
def test_a_reply_that_is_not_the_strict_json_is_an_error(
    messages_stub: MessagesStub, reply: str
) -> None:
    messages_stub.responder = lambda body: [text_block(reply)]
    (verdict,) = judge(messages_stub, ITEMS[:1])
    assert verdict.correct is None and verdict.error
    assert verdict.model == MODEL


def test_a_fenced_json_reply_is_read() -> None:
    assert parse_verdict('```json\n{"correct": false, "reasoning": "no"}\n```') == (False, "no")


def test_transient_failures_are_retried(messages_stub: MessagesStub) -> None:
    messages_stub.responder = grading_responder
    messages_stub.fail("rate_limit", retry_after=0)
    messages_stub.fail("overloaded", retry_after=0)
    (verdict,) = judge(messages_stub, ITEMS[:1])
    assert verdict.correct is True
    assert messages_stub.counters["messages"] == 3


def test_failures_become_verdict_errors(messages_stub: MessagesStub) -> None:
    messages_stub.fail("bad_request")
    messages_stub.fail("rate_limit", times=3, retry_after=0)
    verdicts = judge(messages_stub, ITEMS[:1]) + judge(messages_stub, ITEMS[:1])
    assert [v.correct for v in verdicts] == [None, None]
    assert verdicts[0].error.startswith("permanent: Anthropic API error 400")
    assert verdicts[1].error.startswith("transient: Anthropic API error 429")
    assert "sk-judge" not in "".join(v.error for v in verdicts)
