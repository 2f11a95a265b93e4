"""The LLM judge's reply, parsed strictly: the pure half of the "judge" match rule.

The judge is asked for exactly `{"correct": true|false, "reasoning": "..."}`. Anything else is
refused here rather than guessed, so a verdict is either what the judge said or an error, which
accuracy counts as incorrect. The client that asks (and so reaches the network) is
`pilot.runs.judge_client`; this module stays pure, like the rest of `metrics`.
"""

from __future__ import annotations

import json


def parse_verdict(text: str) -> tuple[bool, str]:
    """`(correct, reasoning)` from the judge's reply; `ValueError` when it is not the strict
    JSON asked for. A Markdown code fence around the object is tolerated, nothing else."""
    body = text.strip()
    if body.startswith("```"):
        body = body.removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        verdict = json.loads(body)
    except json.JSONDecodeError as error:
        raise ValueError(f"judge reply is not JSON: {text[:200]!r}") from error
    if not isinstance(verdict, dict) or set(verdict) != {"correct", "reasoning"}:
        raise ValueError(f"judge reply must have exactly 'correct' and 'reasoning': {text[:200]!r}")
    if not isinstance(verdict["correct"], bool) or not isinstance(verdict["reasoning"], str):
        raise ValueError(
            f"judge reply has the wrong types: {json.dumps(verdict, sort_keys=True)[:200]}"
        )
    return verdict["correct"], verdict["reasoning"]
