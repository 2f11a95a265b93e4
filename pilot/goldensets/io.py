"""Reading golden-set files (JSONL, CSV, Parquet) into cases, collecting every problem at once.

Validation never stops at the first problem: a person fixing a file wants the whole list, each
naming the file, the line (JSONL or CSV line, Parquet row) and the field. Unknown fields are
warnings, not errors, so a file written by a newer tool still loads.

CSV and Parquet carry the canonical JSONL fields as columns: `sources` and `evidence` as JSON
strings (Parquet may also hold them as native lists), `tags` separated by `;`, booleans as
`true`/`false`, and an empty `expected_answer` cell means null.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from pilot.core.errors import InputError
from pilot.core.models import GoldenCase
from pilot.goldensets.checks import FIELDS, INVALID, SOURCE_FIELDS, check_case, kind
from pilot.goldensets.limits import too_dense

FORMATS = ("jsonl", "csv", "parquet")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_ENCODING_PROBLEMS = 20
_NON_SPACE = re.compile(rb"\S")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, as a warning, odd) in a golden-set file, and where."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass
class ValidationReport:
    """`cases` are the cases that passed; nothing may be imported while `errors` is non-empty."""

    filename: str
    format: str
    cases: list[GoldenCase] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, line: int | None, name: str | None, message: str) -> None:
        self.errors.append(Problem(self.filename, line, name, message))

    def warn(self, line: int | None, name: str | None, message: str) -> None:
        self.warnings.append(Problem(self.filename, line, name, message))


class GoldenSetInvalid(InputError):
    """The file has problems; its message lists every one, and nothing was imported."""

    def __init__(self, report: ValidationReport):
        self.report = report
        self.problems = list(report.errors)
        n = len(self.problems)
        lines = [f"{report.filename}: {n} problem{'s' if n != 1 else ''}; nothing was imported"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def detect_format(data: bytes, filename: str) -> str:
    """By extension; without a known one, by content (Parquet magic, a JSON object, else CSV)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix in ("csv", "parquet"):
        return suffix
    if data[:4] == b"PAR1":
        return "parquet"
    return "jsonl" if data.lstrip()[:1] in (b"{", b"[") else "csv"


def validate_goldenset(
    data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ValidationReport:
    """Parse and check a whole file; every problem is in the report, nothing is stored."""
    report = ValidationReport(filename, detect_format(data, filename))
    if len(data) > max_bytes:
        report.error(
            None,
            None,
            f"file is {_size(len(data))}, over the {_size(max_bytes)} limit (setting "
            "goldenset_max_bytes); split it into smaller golden sets or raise the limit",
        )
        return report
    if not data.strip():
        report.error(None, None, "file is empty: expected one golden case per line or row")
        return report
    if data[:4] == b"PK\x03\x04" and report.format != "parquet":
        report.error(None, None, "looks like a spreadsheet (xlsx/zip): export it as CSV UTF-8")
        return report
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[report.format]
    seen: dict[str, int] = {}
    unknown: dict[str, list[int]] = {}
    any_record = False
    for line, record in reader(data, report):
        any_record = True
        case = _check(record, line, report, seen, unknown)
        if case is not None:
            report.positions[case.id] = len(report.cases)
            report.cases.append(case)
    unit = "rows" if report.format == "parquet" else "lines"
    for name, lines in unknown.items():
        known = ", ".join(SOURCE_FIELDS if name.startswith("sources[]") else FIELDS)
        spread = f" (on {len(lines)} {unit}, first {lines[0]})" if len(lines) > 1 else ""
        report.warn(lines[0], name, f"unknown field, ignored{spread}; known fields: {known}")
    if not any_record and not report.errors:
        report.error(None, None, "no golden cases found: the file has no rows")
    report.errors.sort(key=lambda p: p.line or 0)
    report.warnings.sort(key=lambda p: p.line or 0)
    return report


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _decode(data: bytes, report: ValidationReport) -> tuple[str, set[int]]:
    """UTF-8 text (a BOM is dropped) and the lines that are not UTF-8, each reported with its
    byte offset; readers skip those lines rather than report their mojibake twice."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        report.error(1, None, "file is UTF-16: save it as UTF-8")
        return "", set()
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        return data.decode("utf-8"), set()
    except UnicodeDecodeError:
        pass
    offset, bad = 0, set()
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.add(number)
            if len(bad) <= MAX_ENCODING_PROBLEMS:
                report.error(
                    number,
                    None,
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {offset + exc.start}"
                    "; save the file as UTF-8",
                )
        offset += len(raw) + 1
    if len(bad) > MAX_ENCODING_PROBLEMS:
        more = len(bad) - MAX_ENCODING_PROBLEMS
        report.error(None, None, f"{more} more lines are not UTF-8")
    return data.decode("utf-8", errors="replace"), bad


def _read_jsonl(data: bytes, report: ValidationReport) -> Iterator[tuple[int, bytes]]:
    """Each non-blank line's bytes, one at a time (the file is never decoded or split whole, so
    a large file costs little more than its own size); lines that are not UTF-8 are reported
    with their byte offset and skipped."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        report.error(1, None, "file is UTF-16: save it as UTF-8")
        return
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    first = _NON_SPACE.search(data, start)
    if first and data[first.start() : first.start() + 1] == b"[":
        report.error(1, None, "a JSON array is not JSONL: write one case object per line")
        return
    offset, number, bad = start, 0, 0
    while offset <= len(data):
        end = data.find(b"\n", offset)
        end = len(data) if end == -1 else end
        number += 1
        raw = data[offset:end]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad += 1
            if bad <= MAX_ENCODING_PROBLEMS:
                report.error(
                    number,
                    None,
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset "
                    f"{offset - start + exc.start}; save the file as UTF-8",
                )
        else:
            problem = too_dense(raw) if raw.strip() else None
            if problem:
                report.error(number, None, problem)
            elif raw.strip():
                yield number, raw
        offset = end + 1
    if bad > MAX_ENCODING_PROBLEMS:
        report.error(None, None, f"{bad - MAX_ENCODING_PROBLEMS} more lines are not UTF-8")


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
                value = json.loads(record)
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


def _read_csv(data: bytes, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    text, bad = _decode(data, report)
    # csv reads any iterable of lines; io.StringIO would hold a second copy of the text at four
    # bytes a character.
    reader = csv.reader(line + "\n" for line in _lines(text))
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.error(start, None, f"unreadable CSV: {exc}")
            return
        if not any(cell.strip() for cell in row) or bad.intersection(
            range(start, reader.line_num + 1)
        ):
            continue
        if header is None:
            header = [cell.strip() for cell in row]
            if not _check_header(header, start, report):
                return
            continue
        if len(row) != len(header):
            report.error(
                start,
                None,
                f"{len(row)} cells but the header has {len(header)} columns (text with commas, "
                "quotes or line breaks must be in double quotes)",
            )
            continue
        record = {}
        for name, cell in zip(header, row, strict=True):
            value = _from_cell(name, cell, start, report)
            if value is not None:
                record[name] = value
        yield start, record


def _lines(text: str) -> Iterator[str]:
    """The text's lines one at a time (no list of every line beside the text)."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end + 1


def _check_header(header: list[str], line: int, report: ValidationReport) -> bool:
    ok = True
    for name in {h for h in header if header.count(h) > 1}:
        report.error(line, name, "column appears more than once in the header")
        ok = False
    for name in ("id", "question"):
        if name not in header:
            report.error(
                line, name, f"missing column {name!r}; the header has: {', '.join(header)}"
            )
            ok = False
    return ok


PARQUET_BATCH_ROWS = 128
# Real golden sets hold text: columns compress a few times at most. A file that claims to
# expand far more would take memory out of proportion to its size.
PARQUET_MAX_EXPANSION = 20
PARQUET_EXPANSION_FLOOR = 1024 * 1024


def _read_parquet(data: bytes, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows batch by batch from an Arrow buffer.

    Never hand pyarrow a Python file object (`io.BytesIO`): its reader keeps closing the file
    on a background thread after `read_table` returns, and when the interpreter is already
    shutting down that thread aborts the whole process ("terminate called without an active
    exception", exit 134: apache/arrow#33975). `pa.BufferReader` involves no Python object.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        expanded = sum(
            parquet.metadata.row_group(i).total_byte_size
            for i in range(parquet.metadata.num_row_groups)
        )
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as exc:
        report.error(None, None, f"not a readable Parquet file: {_one_line(exc)}")
        return
    if expanded > PARQUET_MAX_EXPANSION * len(data) + PARQUET_EXPANSION_FLOOR:
        report.error(
            None,
            None,
            f"Parquet file expands to {_size(expanded)} from {_size(len(data))}: over "
            f"{PARQUET_MAX_EXPANSION}x; write it without such compression or as JSONL",
        )
        return
    number = 0
    try:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, use_threads=False):
            for row in batch.to_pylist():
                number += 1
                record = {}
                for name, cell in row.items():
                    value = _from_cell(name, cell, number, report)
                    if value is not None:
                        record[name] = value
                yield number, record
    except (pa.ArrowException, OSError, ValueError, TypeError, OverflowError) as exc:
        report.error(number + 1, None, f"unreadable Parquet row: {_one_line(exc)}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def _from_cell(name: str, cell: Any, line: int, report: ValidationReport) -> Any:
    """A CSV/Parquet cell as the JSONL value it stands for; None means absent."""
    if cell is None:
        return None
    if not isinstance(cell, str):
        return cell  # Parquet native values (lists, structs, booleans) pass through
    if name == "expected_answer":
        return cell if cell.strip() else None
    if name in ("answerable", "consequential"):
        flag = cell.strip().lower()
        if not flag:
            return None
        if flag in ("true", "false"):
            return flag == "true"
        report.error(line, name, f"expected true or false, got {cell!r}")
        return INVALID
    if name == "tags":
        return [tag.strip() for tag in cell.split(";") if tag.strip()]
    if name in ("sources", "evidence"):
        if not cell.strip():
            return []
        try:
            return json.loads(cell)
        except json.JSONDecodeError as exc:
            shape = "objects {id, title, text}" if name == "sources" else "strings"
            report.error(line, name, f"not valid JSON ({exc.msg}); write a JSON array of {shape}")
            return INVALID
    return cell
