"""Golden sets: named sets, immutable content-hashed versions, and their cases."""

from __future__ import annotations

NAME = "golden sets: sets, versions, cases"
STATEMENTS = [
    """CREATE TABLE goldensets (
                name VARCHAR PRIMARY KEY,
                created_at VARCHAR NOT NULL,
                created_by VARCHAR NOT NULL
            )""",
    """CREATE TABLE goldenset_versions (
                version VARCHAR PRIMARY KEY,
                name VARCHAR NOT NULL,
                content_hash VARCHAR NOT NULL,
                n_cases INTEGER NOT NULL,
                n_unanswerable INTEGER NOT NULL,
                created_at VARCHAR NOT NULL,
                created_by VARCHAR NOT NULL,
                source_file VARCHAR NOT NULL,
                format VARCHAR NOT NULL,
                agreed_by VARCHAR,
                agreed_at VARCHAR,
                agreement_recorded_by VARCHAR,
                note VARCHAR
            )""",
    """CREATE TABLE golden_cases (
                version VARCHAR NOT NULL,
                case_id VARCHAR NOT NULL,
                position INTEGER NOT NULL,
                question VARCHAR NOT NULL,
                expected_answer VARCHAR,
                answerable BOOLEAN NOT NULL,
                tags VARCHAR[] NOT NULL,
                consequential BOOLEAN NOT NULL,
                evidence VARCHAR[] NOT NULL,
                sources JSON NOT NULL,
                PRIMARY KEY (version, case_id)
            )""",
]
