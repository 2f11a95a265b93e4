"""LLM-judge verdicts for runs judged under a bar whose match rule is "judge"."""

from __future__ import annotations

NAME = "judgements: LLM judge verdicts per result"
STATEMENTS = [
    """CREATE TABLE judgements (
        run_id VARCHAR NOT NULL,
        case_id VARCHAR NOT NULL,
        correct BOOLEAN,
        reasoning VARCHAR NOT NULL,
        model VARCHAR,
        prompt_hash VARCHAR NOT NULL,
        error VARCHAR,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        judged_at VARCHAR NOT NULL,
        PRIMARY KEY (run_id, case_id)
    )""",
]
