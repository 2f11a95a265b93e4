"""The LLM judge's reply is read strictly: the exact JSON asked for, or a ValueError."""

from __future__ import annotations

import pytest

from metrics.judge import parse_verdict


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ('{"correct": true, "reasoning": "same number"}', (True, "same number")),
        ('  {"correct": false, "reasoning": ""}\n', (False, "")),
        ('```json\n{"correct": true, "reasoning": "ok"}\n```', (True, "ok")),
        ('```\n{"correct": false, "reasoning": "no"}\n```', (False, "no")),
    ],
)
def test_the_strict_reply_is_read(reply: str, verdict: tuple[bool, str]) -> None:
    assert parse_verdict(reply) == verdict


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("yes, correct", "judge reply is not JSON: 'yes, correct'"),
        ('{"correct": true}', "judge reply must have exactly 'correct' and 'reasoning': "),
        (
            '{"correct": true, "reasoning": "ok", "score": 1}',
            "judge reply must have exactly 'correct' and 'reasoning': ",
        ),
        ('[true, "ok"]', "judge reply must have exactly 'correct' and 'reasoning': "),
        (
            '{"correct": "true", "reasoning": "ok"}',
            'judge reply has the wrong types: {"correct": "true", "reasoning": "ok"}',
        ),
        (
            '{"reasoning": 3, "correct": false}',
            'judge reply has the wrong types: {"correct": false, "reasoning": 3}',
        ),
    ],
)
def test_anything_else_is_refused_not_guessed(reply: str, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_verdict(reply)
    assert str(refused.value).startswith(message)
    if "exactly" in message:
        assert str(refused.value) == message + repr(reply)


def test_a_long_reply_is_quoted_to_200_characters() -> None:
    reply = "x" * 500
    with pytest.raises(ValueError) as refused:
        parse_verdict(reply)
    assert str(refused.value) == f"judge reply is not JSON: {'x' * 200!r}"


def test_a_long_reply_of_the_wrong_shape_is_quoted_to_200_characters() -> None:
    keys = '{"correct": true, "reasoning": "ok", "why": "' + "y" * 300 + '"}'
    with pytest.raises(ValueError) as refused:
        parse_verdict(keys)
    assert str(refused.value) == (
        f"judge reply must have exactly 'correct' and 'reasoning': {keys[:200]!r}"
    )
    types = '{"correct": 1, "reasoning": "' + "z" * 300 + '"}'
    with pytest.raises(ValueError) as refused:
        parse_verdict(types)
    shown = '{"correct": 1, "reasoning": "' + "z" * 171  # json.dumps, sort_keys: 200 characters
    assert str(refused.value) == f"judge reply has the wrong types: {shown}"
