"""The data boundary's leak checks: when, who, what was tested, what leaked (never the values)."""

from __future__ import annotations

NAME = "boundary leak checks"
STATEMENTS = [
    """CREATE TABLE boundary_checks (
        id VARCHAR PRIMARY KEY,
        checked_at VARCHAR NOT NULL,
        checked_by VARCHAR NOT NULL,
        workflow_version INTEGER NOT NULL,
        boundary_hash VARCHAR NOT NULL,
        probes INTEGER NOT NULL,
        probes_sha256 VARCHAR NOT NULL,
        probes_source VARCHAR NOT NULL,
        cases_scanned INTEGER NOT NULL,
        items_tested INTEGER NOT NULL,
        leaks_found INTEGER NOT NULL,
        leaks VARCHAR NOT NULL
    )""",
]
