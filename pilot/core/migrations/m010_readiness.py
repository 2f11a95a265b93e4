"""Readiness: runs of record pinned by a lead, stage changes (promotion, demotion, rollback)."""

from __future__ import annotations

NAME = "readiness: runs of record, stage changes"
STATEMENTS = [
    """CREATE TABLE run_of_record (
        goldenset_version VARCHAR NOT NULL,
        bar_version INTEGER NOT NULL,
        run_id VARCHAR NOT NULL,
        pinned_by VARCHAR NOT NULL,
        pinned_at VARCHAR NOT NULL,
        PRIMARY KEY (goldenset_version, bar_version)
    )""",
    """CREATE TABLE stage_changes (
        seq INTEGER PRIMARY KEY,
        changed_at VARCHAR NOT NULL,
        changed_by VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        from_stage INTEGER NOT NULL,
        to_stage INTEGER NOT NULL,
        config_version VARCHAR,
        evidence VARCHAR,
        evidence_hash VARCHAR,
        reason VARCHAR NOT NULL
    )""",
]
