"""The LLM judge's client for the "judge" match rule: is an answer correct against the expected
answer, under a rubric? Called through the anthropic SDK; each verdict records the judge model
that answered and a hash of the prompt (template + rubric), so a judged run can be re-judged
alike. It lives in `runs/` because it calls the network; `metrics` keeps only the pure parsing
of a reply (`metrics.judge.parse_verdict`).

The judge must reply with strict JSON, `{"correct": true|false, "reasoning": "..."}`. A reply
that is not exactly that is a verdict with `correct=None` and an `error`, which accuracy counts
as incorrect; it is never guessed. Transient API failures (429, 529, 5xx, timeouts) are retried
`retries` times, waiting `retry-after` when the API gives one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from metrics.judge import parse_verdict
from pilot.core.models import content_hash
from pilot.core.retry import GaveUp, RetryPolicy, async_retrying
from pilot.runs.systems.base import PermanentError, TransientError

JUDGE_TEMPLATE_VERSION = "judge-v1"
JUDGE_SYSTEM_TEMPLATE = """You grade answers to questions against a reference answer.

Rubric:
{rubric}

Reply with a single JSON object and nothing else, exactly of this form:
{{"correct": true or false, "reasoning": "one or two sentences"}}"""
JUDGE_USER_TEMPLATE = """Question:
{question}

Reference answer:
{expected_answer}

Answer to grade:
{answer}"""
JUDGE_MAX_TOKENS = 512
MAX_RETRY_WAIT = 60.0


@dataclass(frozen=True)
class JudgeItem:
    case_id: str
    question: str
    expected_answer: str
    answer: str


@dataclass(frozen=True)
class JudgeVerdict:
    case_id: str
    correct: bool | None
    reasoning: str
    model: str | None
    prompt_hash: str
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0


def judge_prompt_hash(rubric: str) -> str:
    """sha256 over the templates and the rubric: two verdicts with the same hash were asked
    the same way."""
    return content_hash(
        {
            "version": JUDGE_TEMPLATE_VERSION,
            "system": JUDGE_SYSTEM_TEMPLATE,
            "user": JUDGE_USER_TEMPLATE,
            "rubric": rubric,
        }
    )


def judge_payload(item: JudgeItem, rubric: str, model: str) -> dict[str, Any]:
    """Exactly the JSON body sent for one item (hashable for a response cache)."""
    return {
        "model": model,
        "max_tokens": JUDGE_MAX_TOKENS,
        "system": JUDGE_SYSTEM_TEMPLATE.format(rubric=rubric.strip()),
        "messages": [
            {
                "role": "user",
                "content": JUDGE_USER_TEMPLATE.format(
                    question=item.question,
                    expected_answer=item.expected_answer,
                    answer=item.answer,
                ),
            }
        ],
    }


async def judge_answers(
    items: Iterable[JudgeItem | Mapping[str, Any]],
    rubric: str,
    model: str,
    client: Any,
    *,
    concurrency: int = 4,
    retries: int = 2,
) -> list[JudgeVerdict]:
    """One verdict per item, in order. `client` is an `anthropic.AsyncAnthropic` (give it
    `max_retries=0`: retries happen here). Items may be `JudgeItem`s or mappings with the
    same keys."""
    prompt_hash = judge_prompt_hash(rubric)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(item: JudgeItem) -> JudgeVerdict:
        async with gate:
            return await _judge_one(item, rubric, model, client, prompt_hash, retries)

    prepared = [item if isinstance(item, JudgeItem) else _item(item) for item in items]
    return list(await asyncio.gather(*(one(item) for item in prepared)))


def _item(values: Mapping[str, Any]) -> JudgeItem:
    return JudgeItem(
        case_id=str(values["case_id"]),
        question=str(values["question"]),
        expected_answer=str(values.get("expected_answer") or ""),
        answer=str(values.get("answer") or ""),
    )


async def _judge_one(
    item: JudgeItem, rubric: str, model: str, client: Any, prompt_hash: str, retries: int
) -> JudgeVerdict:
    import anthropic

    from pilot.runs.systems.anthropic import translate_error

    payload = judge_payload(item, rubric, model)
    policy = RetryPolicy(attempts=retries + 1, base=1.0, cap=MAX_RETRY_WAIT, jitter=False)

    async def call() -> Any:
        try:
            return await client.messages.create(**payload)
        except anthropic.AnthropicError as error:
            raise translate_error(error, getattr(client, "api_key", None)) from None

    try:
        async for attempt in async_retrying(policy, (TransientError,)):
            with attempt:
                message = await call()
    except GaveUp as exc:
        return _failed(item, prompt_hash, exc.last)  # type: ignore[arg-type]
    except PermanentError as exc:
        return _failed(item, prompt_hash, exc)
    text = "".join(block.text for block in message.content if block.type == "text")
    usage = {
        "input_tokens": message.usage.input_tokens,
        "output_tokens": message.usage.output_tokens,
    }
    try:
        correct, reasoning = parse_verdict(text)
    except ValueError as error:
        return JudgeVerdict(item.case_id, None, "", message.model, prompt_hash, str(error), **usage)
    return JudgeVerdict(item.case_id, correct, reasoning, message.model, prompt_hash, **usage)


def _failed(item: JudgeItem, prompt_hash: str, failure: Exception | None) -> JudgeVerdict:
    kind = "transient" if isinstance(failure, TransientError) else "permanent"
    return JudgeVerdict(item.case_id, None, "", None, prompt_hash, f"{kind}: {failure}")
