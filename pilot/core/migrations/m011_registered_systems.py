"""Systems an admin registered: the only callables the app offers (issue 9, finding 8)."""

from __future__ import annotations

NAME = "registered systems: callables an admin allowed the app to run"
STATEMENTS = [
    """CREATE TABLE registered_systems (
        name VARCHAR PRIMARY KEY,
        target VARCHAR NOT NULL,
        registered_at VARCHAR NOT NULL,
        registered_by VARCHAR NOT NULL
    )""",
]
