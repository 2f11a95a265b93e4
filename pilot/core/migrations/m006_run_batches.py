"""Message Batches submitted for runs, so a run can resume by its batch id."""

from __future__ import annotations

NAME = "run batches: Message Batches API submissions per run"
STATEMENTS = [
    """CREATE TABLE run_batches (
        batch_id VARCHAR PRIMARY KEY,
        run_id VARCHAR NOT NULL,
        submitted_at VARCHAR NOT NULL,
        n_requests INTEGER NOT NULL,
        case_ids VARCHAR NOT NULL
    )""",
]
