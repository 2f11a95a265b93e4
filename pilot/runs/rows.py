"""A result row as the writer stores it: one typed record per answered (or failed) case, and the
Arrow schemas the writer commits rows and cache entries with."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

import pyarrow as pa

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
RESULT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("case_id", pa.string()),
        ("answer", pa.string()),
        ("abstained", pa.bool_()),
        ("claims", pa.string()),
        ("citations", pa.string()),
        ("error", pa.string()),
        ("cached", pa.bool_()),
        ("latency_ms", pa.float64()),
        ("input_tokens", pa.int32()),
        ("output_tokens", pa.int32()),
        ("cost_usd", pa.float64()),
        ("model", pa.string()),
        ("stop_reason", pa.string()),
        ("attempts", pa.int32()),
        ("request_hash", pa.string()),
        ("finished_at", pa.string()),
    ]
)
assert tuple(RESULT_SCHEMA.names) == RESULT_COLUMNS, "ResultRow and RESULT_SCHEMA disagree"
CACHE_SCHEMA = pa.schema(
    [("key", pa.string()), ("output", pa.string()), ("created_at", pa.string())]
)


def rows_table(rows: list[ResultRow]) -> pa.Table:
    """Rows as one Arrow table (column by column: no per-row dict)."""
    return pa.Table.from_pydict(
        {name: [getattr(r, name) for r in rows] for name in RESULT_COLUMNS},
        schema=RESULT_SCHEMA,
    )
