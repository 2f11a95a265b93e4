"""Integrity: keyed audit events and their head record, personal access tokens, sign-in guard."""

from __future__ import annotations

NAME = "integrity: event MACs, keyed head, access tokens, sign-in lockout"
STATEMENTS = [
    "ALTER TABLE audit_events ADD COLUMN token_id VARCHAR",
    "ALTER TABLE audit_events ADD COLUMN mac VARCHAR",
    """CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY,
        seq BIGINT NOT NULL,
        hash VARCHAR NOT NULL,
        first_keyed BIGINT NOT NULL,
        key_id VARCHAR NOT NULL,
        mac VARCHAR NOT NULL
    )""",
    """CREATE TABLE access_tokens (
        token_id VARCHAR PRIMARY KEY,
        user_name VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        secret_sha256 VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL,
        created_by VARCHAR NOT NULL,
        expires_at VARCHAR,
        revoked_at VARCHAR,
        revoked_by VARCHAR
    )""",
    """CREATE TABLE signin_guard (
        name VARCHAR PRIMARY KEY,
        failures INTEGER NOT NULL,
        window_start VARCHAR NOT NULL,
        next_allowed_at VARCHAR NOT NULL,
        locked_at VARCHAR
    )""",
]
