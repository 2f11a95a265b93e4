"""A result row as the writer stores it: one typed record per answered (or failed) case, and the
column-wise INSERT the writer commits rows and cache entries with."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from pilot.core import audit
from pilot.core.models import SystemOutput


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One row of `results`; the field order is the table's column order."""

    run_id: str
    case_id: str
    answer: str | None
    abstained: bool
    claims: str  # JSON list
    citations: str  # JSON list of citation objects
    error: str | None
    cached: bool
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float
    model: str | None
    stop_reason: str | None
    attempts: int
    request_hash: str
    finished_at: str

    @classmethod
    def of(
        cls,
        run_id: str,
        case_id: str,
        output: SystemOutput | None,
        error: str | None,
        cached: bool,
        latency_ms: float,
        attempts: int,
        key: str,
    ) -> ResultRow:
        """The row for a case: its output, or (no output) its error."""
        if output is None:
            return cls(
                run_id=run_id,
                case_id=case_id,
                answer=None,
                abstained=False,
                claims="[]",
                citations="[]",
                error=error,
                cached=cached,
                latency_ms=latency_ms,
                input_tokens=0,
                output_tokens=0,
                cost_usd=0.0,
                model=None,
                stop_reason=None,
                attempts=attempts,
                request_hash=key,
                finished_at=audit.utc_now(),
            )
        return cls(
            run_id=run_id,
            case_id=case_id,
            answer=output.answer,
            abstained=output.abstained,
            claims=json.dumps(list(output.claims)),
            citations=json.dumps([c.model_dump() for c in output.citations]),
            error=error,
            cached=cached,
            latency_ms=latency_ms,
            input_tokens=output.input_tokens,
            output_tokens=output.output_tokens,
            cost_usd=output.cost_usd,
            model=output.model,
            stop_reason=output.stop_reason,
            attempts=attempts,
            request_hash=key,
            finished_at=audit.utc_now(),
        )


RESULT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ResultRow))
# DuckDB types of the columns, in order (the `results` table of migration m004).
RESULT_TYPES: tuple[str, ...] = (
    "VARCHAR",  # run_id
    "VARCHAR",  # case_id
    "VARCHAR",  # answer
    "BOOLEAN",  # abstained
    "VARCHAR",  # claims
    "VARCHAR",  # citations
    "VARCHAR",  # error
    "BOOLEAN",  # cached
    "DOUBLE",  # latency_ms
    "INTEGER",  # input_tokens
    "INTEGER",  # output_tokens
    "DOUBLE",  # cost_usd
    "VARCHAR",  # model
    "VARCHAR",  # stop_reason
    "INTEGER",  # attempts
    "VARCHAR",  # request_hash
    "VARCHAR",  # finished_at
)
assert len(RESULT_TYPES) == len(RESULT_COLUMNS), "ResultRow and RESULT_TYPES disagree"


def insert_sql(
    table: str, columns: tuple[str, ...], types: tuple[str, ...], *, skip_stored: bool = True
) -> str:
    """One INSERT of many rows given column by column, each column one list parameter
    (`unnest` zips them): no Arrow table (whose first use imports pandas) and half the CPU of
    a multi-row VALUES list. With `skip_stored`, rows already stored are skipped (ON CONFLICT:
    ~4 ms more CPU a statement, whatever the number of rows); without, one raises."""
    selected = ", ".join(f"unnest(?::{t}[])" for t in types)
    skip = " ON CONFLICT DO NOTHING" if skip_stored else ""
    return f"INSERT INTO {table} ({', '.join(columns)}) SELECT {selected}{skip}"


def columns_of(rows: list[tuple[object, ...]], width: int) -> list[list[object]]:
    """Rows as one list per column."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def row_values(row: ResultRow) -> tuple[object, ...]:
    """The row's values in column order (`dataclasses.astuple` deep-copies; this does not)."""
    return tuple(getattr(row, name) for name in RESULT_COLUMNS)
