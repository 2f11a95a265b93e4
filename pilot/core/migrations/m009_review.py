"""Review: live outputs, their approvals, samples drawn from them, assignments and grades."""

from __future__ import annotations

NAME = "review: live outputs, approvals, samples, assignments, grades"
STATEMENTS = [
    # No PRIMARY KEY on live_outputs.id: an index makes bulk ingest 1.5-3x slower (DuckDB
    # cannot write indexed rows optimistically). Ingest keeps ids unique itself: an anti-join
    # on the stored ids, a duplicate check within the file, and one ingest at a time.
    """CREATE TABLE live_outputs (
                id VARCHAR NOT NULL,
                ts TIMESTAMP NOT NULL,
                week VARCHAR NOT NULL,
                input VARCHAR NOT NULL,
                output VARCHAR NOT NULL,
                citations JSON,
                sources JSON,
                consequential BOOLEAN NOT NULL,
                stage INTEGER NOT NULL,
                tags VARCHAR[],
                stratum_tag VARCHAR NOT NULL,
                system_config JSON,
                approval JSON,
                simulated BOOLEAN NOT NULL,
                source_file VARCHAR NOT NULL,
                ingested_at TIMESTAMP NOT NULL
            )""",
    """CREATE TABLE live_weeks (
                week VARCHAR PRIMARY KEY,
                outputs BIGINT NOT NULL,
                simulated BIGINT NOT NULL
            )""",
    """CREATE TABLE approvals (
                output_id VARCHAR PRIMARY KEY,
                week VARCHAR NOT NULL,
                simulated BOOLEAN NOT NULL,
                decision VARCHAR NOT NULL,
                approver VARCHAR NOT NULL,
                decided_at TIMESTAMP NOT NULL,
                edited_text VARCHAR,
                recorded_by VARCHAR NOT NULL,
                origin VARCHAR NOT NULL
            )""",
    """CREATE TABLE samples (
                sample_id VARCHAR PRIMARY KEY,
                week VARCHAR NOT NULL,
                size INTEGER NOT NULL,
                seed BIGINT NOT NULL,
                double_share DOUBLE NOT NULL,
                consequential_weight DOUBLE NOT NULL,
                n_items INTEGER NOT NULL,
                n_double INTEGER NOT NULL,
                strata JSON NOT NULL,
                created_at VARCHAR NOT NULL,
                created_by VARCHAR NOT NULL
            )""",
    """CREATE TABLE sample_items (
                sample_id VARCHAR NOT NULL,
                output_id VARCHAR NOT NULL,
                position INTEGER NOT NULL,
                stratum VARCHAR NOT NULL,
                graders INTEGER NOT NULL,
                week VARCHAR NOT NULL,
                simulated BOOLEAN NOT NULL,
                PRIMARY KEY (sample_id, output_id)
            )""",
    """CREATE TABLE assignments (
                output_id VARCHAR NOT NULL,
                slot INTEGER NOT NULL,
                evaluator VARCHAR NOT NULL,
                assigned_at VARCHAR NOT NULL,
                PRIMARY KEY (output_id, slot),
                UNIQUE (output_id, evaluator)
            )""",
    """CREATE TABLE grades (
                output_id VARCHAR NOT NULL,
                evaluator VARCHAR NOT NULL,
                revision INTEGER NOT NULL,
                verdict VARCHAR NOT NULL,
                citations_support BOOLEAN,
                severity VARCHAR NOT NULL,
                note VARCHAR NOT NULL,
                reason VARCHAR,
                graded_at VARCHAR NOT NULL,
                origin VARCHAR NOT NULL,
                PRIMARY KEY (output_id, evaluator, revision)
            )""",
    """CREATE VIEW current_grades AS
            SELECT * FROM grades
            QUALIFY row_number() OVER (PARTITION BY output_id, evaluator ORDER BY revision DESC) = 1""",
]
