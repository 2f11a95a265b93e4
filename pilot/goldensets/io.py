"""Reading golden-set files (JSONL, CSV, Parquet) into cases, collecting every problem at once.

Validation never stops at the first problem: a person fixing a file wants the whole list, each
naming the file, the line (JSONL or CSV line, Parquet row) and the field. Unknown fields are
warnings, not errors, so a file written by a newer tool still loads.

`scan_goldenset` yields the good cases one at a time (an import streams them, so a large file
never has all its cases in memory as objects); `validate_goldenset` keeps them in the report.
The readers themselves are in `pilot.goldensets.readers`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pilot.core.models import GoldenCase
from pilot.goldensets.checks import FIELDS, SOURCE_FIELDS, check_case, kind
from pilot.goldensets.readers import Input, head, mb, read_csv, read_jsonl, read_parquet, size
from pilot.goldensets.report import GoldenSetInvalid, Problem, ValidationReport

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FIELDS",
    "FORMATS",
    "GoldenSetInvalid",
    "Input",
    "Problem",
    "ValidationReport",
    "detect_format",
    "new_report",
    "scan_goldenset",
    "validate_goldenset",
]

FORMATS = ("jsonl", "csv", "parquet")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def detect_format(data: bytes, filename: str) -> str:
    """By extension; without a known one, by content (Parquet magic, a JSON object, else CSV).
    `data` is the file's first bytes (or all of them)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix in ("csv", "parquet"):
        return suffix
    if data[:4] == b"PAR1":
        return "parquet"
    return "jsonl" if data.lstrip()[:1] in (b"{", b"[") else "csv"


def new_report(data: Input, filename: str) -> ValidationReport:
    return ValidationReport(filename, detect_format(head(data), filename))


def validate_goldenset(
    data: Input, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ValidationReport:
    """Parse and check a whole file (its bytes or its path); every problem is in the report,
    and so is every good case. Nothing is stored."""
    report = new_report(data, filename)
    report.cases.extend(scan_goldenset(data, report, max_bytes=max_bytes))
    return report


def scan_goldenset(
    data: Input, report: ValidationReport, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[GoldenCase]:
    """Each good case as it is read; every problem goes into `report` (complete, and sorted by
    line, once the iterator is exhausted). Only a case with no problem at all is yielded."""
    total = size(data)
    if total > max_bytes:
        report.error(
            None,
            None,
            f"file is {mb(total)}, over the {mb(max_bytes)} limit (setting "
            "goldenset_max_bytes); split it into smaller golden sets or raise the limit",
        )
        return
    first = head(data)
    if total == 0 or (total <= len(first) and not first.strip()):
        report.error(None, None, "file is empty: expected one golden case per line or row")
        return
    if first[:4] == b"PK\x03\x04" and report.format != "parquet":
        report.error(None, None, "looks like a spreadsheet (xlsx/zip): export it as CSV UTF-8")
        return
    reader = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}[report.format]
    seen: dict[str, int] = {}
    unknown: dict[str, list[int]] = {}
    any_record = False
    for line, record in reader(data if isinstance(data, bytes) else Path(data), report):
        any_record = True
        case = _check(record, line, report, seen, unknown)
        if case is not None:
            yield case
    unit = "rows" if report.format == "parquet" else "lines"
    for name, lines in unknown.items():
        known = ", ".join(SOURCE_FIELDS if name.startswith("sources[]") else FIELDS)
        spread = f" (on {len(lines)} {unit}, first {lines[0]})" if len(lines) > 1 else ""
        report.warn(lines[0], name, f"unknown field, ignored{spread}; known fields: {known}")
    if not any_record and not report.errors:
        report.error(None, None, "no golden cases found: the file has no rows")
    report.errors.sort(key=lambda p: p.line or 0)
    report.warnings.sort(key=lambda p: p.line or 0)


def _check(
    record: bytes | dict[str, Any],
    line: int,
    report: ValidationReport,
    seen: dict[str, int],
    unknown: dict[str, list[int]],
) -> GoldenCase | None:
    """Check one record; a JSON line goes to pydantic as text, and only a line with a problem
    is parsed here (to name a syntax error, or a value that is not an object)."""
    if isinstance(record, bytes):
        try:
            case, found = check_case(record, line, seen, unknown)
        except ValidationError:
            try:
                # as text: given bytes, json guesses UTF-16/32 from NUL bytes and raises
                # UnicodeDecodeError; the file's UTF-8 was checked already
                value = json.loads(record.decode("utf-8", errors="replace"))
            except json.JSONDecodeError as exc:
                report.error(line, None, f"not valid JSON: {exc.msg} (column {exc.colno})")
                return None
            if not isinstance(value, dict):
                report.error(line, None, f"expected a JSON object, got {kind(value)}")
                return None
            case, found = check_case(value, line, seen, unknown)
    else:
        case, found = check_case(record, line, seen, unknown)
    for name, message in found:
        report.error(line, name, message)
    return case
