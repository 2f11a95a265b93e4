"""Golden-set files read a line or a row at a time, from bytes in memory or straight from the
file on disk, so reading never holds a second copy of the file (nor the whole file, when it is
on disk). Problems with the file itself (encoding, CSV shape, an unreadable Parquet page) go
into the report; the values are checked by `pilot.goldensets.checks`.

CSV and Parquet carry the canonical JSONL fields as columns: `sources` and `evidence` as JSON
strings (Parquet may also hold them as native lists), `tags` separated by `;`, booleans as
`true`/`false`, and an empty `expected_answer` cell means null.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pilot.goldensets.checks import INVALID
from pilot.goldensets.limits import too_dense
from pilot.goldensets.report import ValidationReport

Input = bytes | Path  # a file's bytes, or its path (read a line or a row group at a time)
MAX_ENCODING_PROBLEMS = 20
_NON_SPACE = re.compile(rb"\S")
_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_BOM = b"\xef\xbb\xbf"


def head(src: Input, n: int = 65536) -> bytes:
    """The first `n` bytes."""
    if isinstance(src, bytes):
        return src[:n]
    with src.open("rb") as file:
        return file.read(n)


def size(src: Input) -> int:
    return len(src) if isinstance(src, bytes) else src.stat().st_size


def byte_lines(src: Input, start: int = 0) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line without its `\\n`) from `start`, one at a time; a text ending in a
    newline ends with an empty line, as `bytes.split` gives."""
    if isinstance(src, bytes):
        offset = start
        while offset <= len(src):
            end = src.find(b"\n", offset)
            end = len(src) if end == -1 else end
            yield offset, src[offset:end]
            offset = end + 1
        return
    with src.open("rb") as file:
        file.seek(start)
        offset, ended = start, True
        for raw in file:
            ended = raw.endswith(b"\n")
            yield offset, raw[:-1] if ended else raw
            offset += len(raw)
        if ended:
            yield offset, b""


def _not_utf8(report: ValidationReport, number: int, raw: bytes, at: int, exc: Exception) -> None:
    start = getattr(exc, "start", 0)
    report.error(
        number,
        None,
        f"not UTF-8: byte 0x{raw[start]:02x} at byte offset {at + start}; save the file as UTF-8",
    )


def read_jsonl(src: Input, report: ValidationReport) -> Iterator[tuple[int, bytes]]:
    """Each non-blank line's bytes, one at a time; lines that are not UTF-8 are reported with
    their byte offset and skipped, and a line no case could be (too deep, too dense) is refused
    before it is parsed."""
    first_bytes = head(src)
    if first_bytes[:2] in _UTF16:
        report.error(1, None, "file is UTF-16: save it as UTF-8")
        return
    start = 3 if first_bytes[:3] == _BOM else 0
    first = _NON_SPACE.search(first_bytes, start)
    if first and first_bytes[first.start() : first.start() + 1] == b"[":
        report.error(1, None, "a JSON array is not JSONL: write one case object per line")
        return
    bad = 0
    for number, (offset, raw) in enumerate(byte_lines(src, start), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad += 1
            if bad <= MAX_ENCODING_PROBLEMS:
                _not_utf8(report, number, raw, offset - start, exc)
            continue
        if not raw.strip():
            continue
        problem = too_dense(raw)
        if problem:
            report.error(number, None, problem)
        else:
            yield number, raw
    if bad > MAX_ENCODING_PROBLEMS:
        report.error(None, None, f"{bad - MAX_ENCODING_PROBLEMS} more lines are not UTF-8")


def _text_lines(src: Input, report: ValidationReport, bad: set[int]) -> Iterator[str]:
    """Each line as text with its newline (what `csv.reader` reads); a line that is not UTF-8
    is reported with its byte offset, added to `bad` and passed on with replacement marks."""
    first_bytes = head(src, 4)
    if first_bytes[:2] in _UTF16:
        report.error(1, None, "file is UTF-16: save it as UTF-8")
        return
    start = 3 if first_bytes[:3] == _BOM else 0
    for number, (offset, raw) in enumerate(byte_lines(src, start), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.add(number)
            if len(bad) <= MAX_ENCODING_PROBLEMS:
                _not_utf8(report, number, raw, offset - start, exc)
            text = raw.decode("utf-8", errors="replace")
        yield text + "\n"
    if len(bad) > MAX_ENCODING_PROBLEMS:
        report.error(None, None, f"{len(bad) - MAX_ENCODING_PROBLEMS} more lines are not UTF-8")


def read_csv(src: Input, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each row as a record, with the line it starts on; rows touching a line that is not
    UTF-8 are skipped (that line is already reported)."""
    bad: set[int] = set()
    reader = csv.reader(_text_lines(src, report, bad))
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
            value = from_cell(name, cell, start, report)
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


PARQUET_BATCH_ROWS = 128
# Real golden sets hold text: columns compress a few times at most. A file that claims to
# expand far more would take memory out of proportion to its size.
PARQUET_MAX_EXPANSION = 20
PARQUET_EXPANSION_FLOOR = 1024 * 1024
PARQUET_STREAM_FROM = 8 * 1024 * 1024


def read_parquet(src: Input, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows batch by batch (128 rows at a time), from an Arrow buffer or the file on disk.

    Never hand pyarrow a Python file object (`io.BytesIO`, an open file): its reader keeps
    closing the file on a background thread after reading, and when the interpreter is already
    shutting down that thread aborts the whole process ("terminate called without an active
    exception", exit 134: apache/arrow#33975). `pa.BufferReader` and a path string involve no
    Python object.
    """
    import pyarrow as pa

    # Arrow's default pool (mimalloc) keeps the pages it freed: reading a file batch by batch
    # left the process 6-10x the file's size. The system allocator gives them back (2-3x).
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield from _parquet_rows(src, report)
    finally:
        pa.set_memory_pool(previous)


def _parquet_rows(src: Input, report: ValidationReport) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # A large file is read as its pages are decoded (64 KB reads), not a whole row group
        # up front (0.5x its size against 1.2x at 35 MB); a small one is cheaper read whole.
        streamed = size(src) > PARQUET_STREAM_FROM
        parquet = pq.ParquetFile(
            pa.BufferReader(src) if isinstance(src, bytes) else str(src),
            pre_buffer=not streamed,
            buffer_size=64 * 1024 if streamed else 0,
        )
        expanded = sum(
            parquet.metadata.row_group(i).total_byte_size
            for i in range(parquet.metadata.num_row_groups)
        )
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as exc:
        report.error(None, None, f"not a readable Parquet file: {_one_line(exc)}")
        return
    if expanded > PARQUET_MAX_EXPANSION * size(src) + PARQUET_EXPANSION_FLOOR:
        report.error(
            None,
            None,
            f"Parquet file expands to {mb(expanded)} from {mb(size(src))}: over "
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
                    value = from_cell(name, cell, number, report)
                    if value is not None:
                        record[name] = value
                yield number, record
    except (pa.ArrowException, OSError, ValueError, TypeError, OverflowError) as exc:
        report.error(number + 1, None, f"unreadable Parquet row: {_one_line(exc)}")
    finally:
        parquet.close()


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def from_cell(name: str, cell: Any, line: int, report: ValidationReport) -> Any:
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
