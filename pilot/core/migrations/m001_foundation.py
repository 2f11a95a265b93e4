"""Foundation: settings, users, audit events."""

from __future__ import annotations

NAME = "foundation: settings, users, audit events"
STATEMENTS = [
    "CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE users (
                name VARCHAR PRIMARY KEY,
                role VARCHAR NOT NULL,
                email VARCHAR,
                password_hash VARCHAR,
                active BOOLEAN NOT NULL DEFAULT TRUE,
                created_at VARCHAR NOT NULL,
                created_by VARCHAR NOT NULL
            )""",
    """CREATE TABLE audit_events (
                seq BIGINT PRIMARY KEY,
                ts VARCHAR NOT NULL,
                actor VARCHAR NOT NULL,
                role VARCHAR NOT NULL,
                action VARCHAR NOT NULL,
                object VARCHAR NOT NULL,
                payload VARCHAR NOT NULL,
                prev_hash VARCHAR NOT NULL,
                hash VARCHAR NOT NULL
            )""",
]
