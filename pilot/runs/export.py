"""`pilot results export`: one record per case in DESIGN.md's result-record shape."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pilot.core.access import Who, require
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.runs.record import result_rows

FIELDS = (
    "case_id",
    "answer",
    "abstained",
    "correct",
    "match_rule",
    "citations",
    "error",
    "cached",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "tags",
    "answerable",
    "expected_answer",
)


def result_records(store: Store, user: Who, run_id: str) -> pl.DataFrame:
    with store.read() as con:
        require(con, user, "read")
        if not con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
            raise InputError(f"no run {run_id!r}")
        rows = result_rows(con, run_id)
    citations = [
        [{k: c[k] for k in ("source_id", "cited_text", "start", "end")} for c in json.loads(raw)]
        for raw in rows["citations"]
    ]
    return rows.with_columns(
        pl.Series(
            "citations",
            citations,
            dtype=pl.List(
                pl.Struct(
                    {
                        "source_id": pl.String,
                        "cited_text": pl.String,
                        "start": pl.Int64,
                        "end": pl.Int64,
                    }
                )
            ),
        ),
    ).select(FIELDS)


FORMULA_START = r"^[=+\-@\t\r]"
"""A cell a spreadsheet would read as a formula (OWASP CSV injection): =, +, -, @, tab, CR."""


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell that a spreadsheet would run as a formula, prefixed with a single quote
    (OWASP's advice), so `=HYPERLINK(...)` in a model's answer is shown, not followed. Only for
    CSV: JSONL and Parquet are read by programs and keep every value exactly."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def export_results(store: Store, user: Who, run_id: str, out: Path) -> int:
    frame = result_records(store, user, run_id)
    suffix = out.suffix.lower()
    if suffix == ".jsonl":
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in frame.to_dicts()))
    elif suffix == ".csv":
        flat = frame.with_columns(
            pl.Series(
                "citations",
                [json.dumps(c, ensure_ascii=False) for c in frame["citations"].to_list()],
                dtype=pl.String,
            ),
            pl.col("tags").list.join(";"),
        )
        neutralise_formulas(flat).write_csv(out)
    elif suffix == ".parquet":
        frame.write_parquet(out)
    else:
        raise InputError(f"--out {out}: use a .jsonl, .csv or .parquet file name")
    return frame.height
