"""Workflow and data boundary versions; acceptance bar versions with their signatures."""

from __future__ import annotations

NAME = "workflow and acceptance bar versions"
STATEMENTS = [
    """CREATE TABLE workflow_versions (
                version INTEGER PRIMARY KEY,
                content_hash VARCHAR NOT NULL,
                created_at VARCHAR NOT NULL,
                created_by VARCHAR NOT NULL,
                workflow JSON NOT NULL,
                boundary JSON NOT NULL
            )""",
    """CREATE TABLE bar_versions (
                version INTEGER PRIMARY KEY,
                content_hash VARCHAR NOT NULL,
                bar JSON NOT NULL,
                created_at VARCHAR NOT NULL,
                created_by VARCHAR NOT NULL,
                signed_by VARCHAR,
                signed_at VARCHAR,
                signature_hash VARCHAR,
                parent_version INTEGER
            )""",
]
