"""Run leases: one owner per run, kept alive by a heartbeat (issue 9, item 6)."""

from __future__ import annotations

NAME = "run leases: the process executing a run, and its heartbeat"
STATEMENTS = [
    """CREATE TABLE run_leases (
        run_id VARCHAR PRIMARY KEY,
        token VARCHAR NOT NULL,
        host VARCHAR NOT NULL,
        pid INTEGER NOT NULL,
        user_name VARCHAR NOT NULL,
        since VARCHAR NOT NULL,
        heartbeat_at VARCHAR NOT NULL
    )""",
]
