"""Runs: system config versions, runs with their manifests, per-case results, response cache."""

from __future__ import annotations

NAME = "runs: system configs, runs, results, response cache"
STATEMENTS = [
    """CREATE TABLE system_configs (
        version VARCHAR PRIMARY KEY,
        label VARCHAR NOT NULL,
        config VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL,
        created_by VARCHAR NOT NULL
    )""",
    """CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        goldenset_version VARCHAR NOT NULL,
        config_version VARCHAR NOT NULL,
        bar_version INTEGER,
        status VARCHAR NOT NULL,
        n_cases INTEGER NOT NULL,
        started_at VARCHAR NOT NULL,
        finished_at VARCHAR,
        started_by VARCHAR NOT NULL,
        replay_of VARCHAR,
        manifest VARCHAR NOT NULL,
        summary VARCHAR
    )""",
    """CREATE TABLE results (
        run_id VARCHAR NOT NULL,
        case_id VARCHAR NOT NULL,
        answer VARCHAR,
        abstained BOOLEAN NOT NULL,
        claims VARCHAR NOT NULL,
        citations VARCHAR NOT NULL,
        error VARCHAR,
        cached BOOLEAN NOT NULL,
        latency_ms DOUBLE NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd DOUBLE NOT NULL,
        model VARCHAR,
        stop_reason VARCHAR,
        attempts INTEGER NOT NULL,
        request_hash VARCHAR NOT NULL,
        finished_at VARCHAR NOT NULL,
        correct BOOLEAN,
        match_rule VARCHAR,
        PRIMARY KEY (run_id, case_id)
    )""",
    """CREATE TABLE response_cache (
        key VARCHAR PRIMARY KEY,
        output VARCHAR NOT NULL,
        created_at VARCHAR NOT NULL
    )""",
]
