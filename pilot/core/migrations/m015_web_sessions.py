"""Browser sessions: a signed cookie names one row; sign-out, a role change or idleness ends it."""

from __future__ import annotations

NAME = "web sessions: the app's sign-in survives a reload and a shared link"
STATEMENTS = [
    """CREATE TABLE web_sessions (
        id VARCHAR PRIMARY KEY,
        user_name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        secret_hash VARCHAR,
        ticket_hash VARCHAR,
        ticket_expires VARCHAR,
        created_at VARCHAR NOT NULL,
        last_seen VARCHAR NOT NULL,
        revoked_at VARCHAR,
        revoked_why VARCHAR
    )""",
]
