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
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pilot.core.errors import InputError
from pilot.core.models import GoldenCase, Source

FIELDS = (
    "id",
    "question",
    "sources",
    "expected_answer",
    "answerable",
    "evidence",
    "tags",
    "consequential",
)
SOURCE_FIELDS = ("id", "title", "text")
FORMATS = ("jsonl", "csv", "parquet")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
MAX_ENCODING_PROBLEMS = 20
_INVALID = object()  # a cell already reported as unreadable; the case checks skip it


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
        case = _check_case(record, line, report, seen, unknown)
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


def _read_jsonl(data: bytes, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    text, bad = _decode(data, report)
    if text.lstrip().startswith("["):
        report.error(1, None, "a JSON array is not JSONL: write one case object per line")
        return
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or number in bad:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            report.error(number, None, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(value, dict):
            report.error(number, None, f"expected a JSON object, got {_kind(value)}")
            continue
        yield number, value


def _read_csv(data: bytes, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    text, bad = _decode(data, report)
    reader = csv.reader(io.StringIO(text, newline=""))
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


def _read_parquet(data: bytes, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(io.BytesIO(data)).to_pylist()
    except (pa.ArrowException, OSError, ValueError) as exc:
        report.error(None, None, f"not a readable Parquet file: {exc}")
        return
    for number, row in enumerate(rows, start=1):
        record = {}
        for name, cell in row.items():
            value = _from_cell(name, cell, number, report)
            if value is not None:
                record[name] = value
        yield number, record


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
        return _INVALID
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
            return _INVALID
    return cell


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {json.dumps(value[:40], ensure_ascii=False)}"
    return "a list" if isinstance(value, list | tuple) else f"a {type(value).__name__}"


def _text(record: dict[str, Any], name: str, line: int, report: ValidationReport) -> str | None:
    value = record.get(name)
    if value is None or value is _INVALID:
        return None
    if not isinstance(value, str):
        report.error(line, name, f"must be text, got {_kind(value)}")
        return None
    return value


def _flag(
    record: dict[str, Any], name: str, default: bool, line: int, report: ValidationReport
) -> bool:
    value = record.get(name)
    if value is None or value is _INVALID:
        return default
    if not isinstance(value, bool):
        report.error(line, name, f"expected true or false, got {_kind(value)}")
        return default
    return value


def _strings(
    record: dict[str, Any], name: str, line: int, report: ValidationReport
) -> list[str] | None:
    value = record.get(name)
    if value is None:
        return []
    if value is _INVALID:
        return None
    if not isinstance(value, list | tuple):
        report.error(line, name, f"expected a list of text, got {_kind(value)}")
        return None
    ok = True
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            report.error(line, f"{name}[{index}]", f"expected non-empty text, got {_kind(item)}")
            ok = False
    return list(value) if ok else None


def _check_case(
    record: dict[str, Any],
    line: int,
    report: ValidationReport,
    seen: dict[str, int],
    unknown: dict[str, list[int]],
) -> GoldenCase | None:
    before = len(report.errors)
    for name in record:
        if name not in FIELDS:
            unknown.setdefault(name, []).append(line)

    raw_id, raw_question = record.get("id"), record.get("question")
    case_id = _text(record, "id", line, report)
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        report.error(line, "id", "missing id: every case needs a unique id")
        case_id = None
    elif case_id is not None and case_id in seen:
        report.error(line, "id", f"duplicate id {case_id} (first on line {seen[case_id]})")
    elif case_id is not None:
        seen[case_id] = line
    label = case_id or f"on line {line}"

    question = _text(record, "question", line, report)
    if raw_question is None or (isinstance(raw_question, str) and not raw_question.strip()):
        report.error(line, "question", "empty question")

    sources = _check_sources(record.get("sources"), label, line, report, unknown)
    expected = record.get("expected_answer")
    if expected is not None and not isinstance(expected, str):
        report.error(line, "expected_answer", f"must be text or null, got {_kind(expected)}")
        expected = _INVALID
    answerable = _flag(record, "answerable", True, line, report)
    if expected is not _INVALID:
        if not answerable and expected is not None:
            report.error(
                line,
                "expected_answer",
                "answerable is false, so expected_answer must be null (the right behaviour is "
                f"to abstain); got {_kind(expected)}",
            )
        elif answerable and (expected is None or not expected.strip()):
            default = "" if "answerable" in record else " (the default)"
            report.error(
                line,
                "expected_answer",
                f"answerable is true{default} but expected_answer is empty: give the agreed "
                "answer, or set answerable to false",
            )

    evidence = _strings(record, "evidence", line, report)
    if evidence and sources is not None:
        texts = [s.text for s in sources]
        for index, passage in enumerate(evidence):
            if not any(passage in text for text in texts):
                report.error(line, f"evidence[{index}]", _not_found(passage, label, texts))

    tags = _strings(record, "tags", line, report)
    clean_tags: list[str] = []
    for index, tag in enumerate(tags or []):
        if ";" in tag:
            report.error(line, f"tags[{index}]", f"a tag cannot contain ';' (got {tag!r})")
        elif tag.strip() not in clean_tags:
            clean_tags.append(tag.strip())
    consequential = _flag(record, "consequential", False, line, report)

    if len(report.errors) > before or case_id is None or question is None:
        return None
    return GoldenCase(
        id=case_id,
        question=question,
        sources=tuple(sources or ()),
        expected_answer=expected,
        answerable=answerable,
        evidence=tuple(evidence or ()),
        tags=tuple(clean_tags),
        consequential=consequential,
    )


def _not_found(passage: str, label: str, texts: list[str]) -> str:
    where = "any source of" if texts else "any source of (it has none)"
    message = f"not found verbatim in {where} case {label} (first 60 chars: "
    message += json.dumps(passage[:60], ensure_ascii=False) + ")"
    squashed = " ".join(passage.split()).lower()
    if any(squashed in " ".join(text.split()).lower() for text in texts):
        message += "; it matches if case and spacing are ignored: copy the passage exactly"
    return message


def _check_sources(
    value: Any,
    label: str,
    line: int,
    report: ValidationReport,
    unknown: dict[str, list[int]],
) -> list[Source] | None:
    """The case's sources, or None when they are unusable (already reported)."""
    if value is None:
        return []
    if value is _INVALID:
        return None
    if not isinstance(value, list | tuple):
        report.error(line, "sources", f"expected a list of sources, got {_kind(value)}")
        return None
    sources: list[Source] = []
    first: dict[str, int] = {}
    for index, item in enumerate(value):
        where = f"sources[{index}]"
        if not isinstance(item, dict):
            report.error(line, where, f"expected an object {{id, title, text}}, got {_kind(item)}")
            continue
        for name in item:
            if name not in SOURCE_FIELDS:
                unknown.setdefault(f"sources[].{name}", []).append(line)
        source_id, text, title = item.get("id"), item.get("text"), item.get("title")
        ok = True
        if not isinstance(source_id, str) or not source_id.strip():
            problem = "missing source id" if source_id in (None, "") else "must be text"
            report.error(line, f"{where}.id", f"{problem} (got {_kind(source_id)})")
            ok = False
        elif source_id in first:
            report.error(
                line,
                f"{where}.id",
                f"duplicate source id {source_id} in case {label} (first at "
                f"sources[{first[source_id]}])",
            )
            ok = False
        else:
            first[source_id] = index
        if not isinstance(text, str) or not text.strip():
            problem = "missing text" if text in (None, "") else "must be text"
            report.error(line, f"{where}.text", f"{problem} (got {_kind(text)})")
            ok = False
        if title is not None and not isinstance(title, str):
            report.error(line, f"{where}.title", f"must be text, got {_kind(title)}")
            ok = False
        if ok:
            sources.append(Source(id=source_id, title=title or "", text=text))
    return sources
