"""`pilot live ingest`: spool, JSONL, CSV or Parquet files into `live_outputs`, one file at a time.

Each file is loaded by DuckDB's own readers in one transaction: idempotent by id (an id already
stored is skipped), atomic (a file with any problem keeps nothing), and every problem is named
with file, line and field. The fast path is a single `INSERT ... SELECT FROM read_json(...)`;
only when it fails does a second pass read the file line by line (still in SQL) to name every
problem. CSV and Parquet are first normalised to JSON lines by DuckDB, so all formats share the
same checks; their problems are reported by CSV line (header = line 1) or Parquet row.

A spool file's last line without a newline is a record still being written (or cut by kill -9):
it is skipped with a warning and picked up by a later ingest once it is complete.
"""

from __future__ import annotations

import glob
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.goldensets.io import Problem
from pilot.results.humane import plural
from pilot.review.queue import WRITES
from pilot.review.spool import SPOOL_PREFIX

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
FORMATS[".parquet"] = "parquet"
MAX_PROBLEMS = 200

COLUMNS = (
    "{'id': 'VARCHAR', 'timestamp': 'VARCHAR', 'input': 'VARCHAR', 'output': 'VARCHAR', "
    "'citations': 'JSON', 'sources': 'JSON', 'consequential': 'BOOLEAN', 'stage': 'INTEGER', "
    "'tags': 'VARCHAR[]', 'system_config': 'JSON', 'approval': 'JSON', 'simulated': 'BOOLEAN'}"
)

# The instant in UTC without a time-zone lookup per row (the same value as
# `timezone('UTC', ...)`, at a third of the cost).
_TS = "make_timestamp(epoch_us(TRY_CAST(r.timestamp AS TIMESTAMPTZ)))"
_INSERT = f"""
INSERT INTO live_outputs
SELECT r.id,
       coalesce({_TS}, error('timestamp: not an ISO 8601 time')),
       strftime({_TS}, '%G-W%V'),
       coalesce(r.input, error('input: missing')),
       coalesce(r.output, error('output: missing')),
       r.citations, r.sources,
       coalesce(r.consequential, false),
       CASE WHEN coalesce(r.stage, 0) BETWEEN 0 AND 3 THEN coalesce(r.stage, 0)
            ELSE error('stage: not 0-3') END,
       coalesce(r.tags, []),
       coalesce(list_min(r.tags), '(untagged)'),  -- the first tag in sorted order
       r.system_config,
       r.approval,
       coalesce(r.simulated, false),
       $label,
       now()::TIMESTAMP,
       xor(hash(r.id, 0::BIGINT), hash(0::BIGINT))
FROM read_json($path, format = 'newline_delimited', columns = {COLUMNS}) r
WHERE CASE WHEN r.id IS NULL OR r.id = '' THEN error('id: missing') ELSE true END
  AND CASE WHEN r.approval IS NULL OR (
          json_extract_string(r.approval, '$.decision') IN ('approved', 'edited', 'rejected')
          AND coalesce(json_extract_string(r.approval, '$.approver'), '') <> '') THEN true
      ELSE error('approval: invalid') END
  AND NOT EXISTS (SELECT 1 FROM live_outputs o WHERE o.id = r.id)
"""

_APPROVALS = """
INSERT INTO approvals
SELECT id, week, simulated, json_extract_string(approval, '$.decision'), json_extract_string(approval, '$.approver'),
       coalesce(timezone('UTC', TRY_CAST(json_extract_string(approval, '$.decided_at')
                                         AS TIMESTAMPTZ)), ts),
       json_extract_string(approval, '$.edited_text'), $user, 'ingest'
FROM live_outputs o
WHERE approval IS NOT NULL AND source_file = $label AND ingested_at = now()::TIMESTAMP
  AND NOT EXISTS (SELECT 1 FROM approvals p WHERE p.output_id = o.id)
"""

_WEEKS = """
INSERT INTO live_weeks
SELECT week, count(*), count(*) FILTER (WHERE simulated) FROM live_outputs
WHERE source_file = $label AND ingested_at = now()::TIMESTAMP GROUP BY week
ON CONFLICT (week) DO UPDATE SET outputs = outputs + excluded.outputs,
    simulated = simulated + excluded.simulated
"""

_STRATA = """
INSERT INTO live_strata
SELECT week, stratum_tag, stage, consequential, count(*), count(*) FILTER (WHERE simulated)
FROM live_outputs WHERE source_file = $label AND ingested_at = now()::TIMESTAMP GROUP BY ALL
ON CONFLICT (week, stratum_tag, stage, consequential) DO UPDATE
SET outputs = outputs + excluded.outputs, simulated = simulated + excluded.simulated
"""


@dataclass
class FileResult:
    file: str
    format: str
    inserted: int = 0
    already: int = 0
    approvals: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "ok": self.ok,
            "inserted": self.inserted,
            "already_ingested": self.already,
            "approvals": self.approvals,
            "errors": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }


def expand(pattern: str) -> list[Path]:
    """A file, a folder (its spool/JSONL/CSV/Parquet files) or a glob, sorted."""
    path = Path(pattern)
    if path.is_dir():
        found = [p for p in path.iterdir() if p.suffix.lower() in FORMATS and p.is_file()]
    elif path.is_file():
        found = [path]
    else:
        found = [Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()]
    if not found:
        raise InputError(f"{pattern}: no such file, folder or matching files")
    return sorted(found)


def ingest(store: Store, user: Who, pattern: str) -> list[FileResult]:
    """Ingest every matching file, each in its own transaction; a bad file keeps nothing."""
    return [ingest_file(store, user, path) for path in expand(pattern)]


def ingest_file(store: Store, user: Who, path: Path, *, label: str | None = None) -> FileResult:
    """One file in one transaction; `label` names it in problems and `source_file`."""
    label = label or str(path)
    fmt = FORMATS.get(path.suffix.lower())
    result = FileResult(label, fmt or "")
    if fmt is None:
        result.errors.append(
            Problem(label, None, None, "unknown format: use .jsonl, .csv or .parquet")
        )
        return result
    with tempfile.TemporaryDirectory(prefix="pilot-ingest-") as tmp:
        jsonl, offset = _as_jsonl(path, fmt, Path(tmp), result)
        if result.errors or jsonl is None:
            return result
        try:
            with WRITES:  # one ingest at a time in this process: ids stay unique
                write_as(
                    store,
                    user,
                    "edit_pilot",
                    "live.ingest",
                    f"live_file:{path.name}",
                    lambda con, actor: _load(con, actor, jsonl, label, result),
                )
        except (duckdb.Error, _Invalid) as exc:
            result.inserted = result.already = result.approvals = 0
            con = duckdb.connect()
            try:
                _diagnose(con, jsonl, label, offset, result, exc)
            finally:
                con.close()
    return result


class _Invalid(Exception):
    pass


def _as_jsonl(path: Path, fmt: str, tmp: Path, result: FileResult) -> tuple[Path | None, int]:
    """The file as JSON lines DuckDB can read, and the offset from its lines to the file's."""
    label = result.file
    if fmt == "jsonl":
        size = path.stat().st_size
        if size == 0:
            return path, 0
        with open(path, "rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n" or not path.name.startswith(SPOOL_PREFIX):
                return path, 0
            fh.seek(0)
            data = fh.read()
        complete = data[: data.rfind(b"\n") + 1]
        n_line = complete.count(b"\n") + 1
        result.warnings.append(
            Problem(
                label,
                n_line,
                None,
                "last line has no newline: a record still being written (or cut off); "
                "skipped, and ingested once complete",
            )
        )
        out = tmp / "complete.jsonl"
        out.write_bytes(complete)
        return out, 0
    out = tmp / "normalised.jsonl"
    con = duckdb.connect()
    try:
        if fmt == "csv":
            rel = f"read_csv('{_quote(label)}', all_varchar = true, header = true)"
            cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
            offset = 1
        else:
            rel = f"read_parquet('{_quote(label)}')"
            cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
            offset = 0
        select = ", ".join(_normalise(c, fmt) for c in sorted(cols))
        con.execute(f"COPY (SELECT {select} FROM {rel}) TO '{_quote(str(out))}' (FORMAT json)")
    except duckdb.Error as exc:
        result.errors.append(Problem(label, None, None, f"cannot read as {fmt}: {exc}"))
        return None, 0
    finally:
        con.close()
    return out, offset


def _quote(text: str) -> str:
    return text.replace("'", "''")


_JSON_COLUMNS = ("citations", "sources", "tags", "system_config", "approval")


def _normalise(column: str, fmt: str) -> str:
    """A CSV cell (text) as the JSON value it stands for; Parquet values pass through."""
    c = f'"{column}"'
    if fmt == "parquet":
        if column in _JSON_COLUMNS:
            return f"CASE WHEN typeof({c}) = 'VARCHAR' AND json_valid({c}::VARCHAR) THEN {c}::JSON ELSE to_json({c}) END AS {c}"
        return c
    if column == "tags":
        return (
            f"CASE WHEN {c} IS NULL OR {c} = '' THEN NULL "
            f"WHEN left(trim({c}), 1) = '[' AND json_valid({c}) THEN {c}::JSON "
            f"ELSE to_json(list_transform(string_split({c}, ';'), lambda x: trim(x))) END AS {c}"
        )
    if column in _JSON_COLUMNS:
        return f"CASE WHEN {c} IS NULL OR {c} = '' THEN NULL WHEN json_valid({c}) THEN {c}::JSON ELSE to_json({c}) END AS {c}"
    if column in ("consequential", "simulated"):
        return f"CASE lower({c}) WHEN 'true' THEN true::JSON WHEN 'false' THEN false::JSON WHEN '' THEN NULL ELSE to_json({c}) END AS {c}"
    if column == "stage":
        return f"coalesce(to_json(TRY_CAST({c} AS INTEGER)), to_json(nullif({c}, ''))) AS {c}"
    return c


def _load(
    con: duckdb.DuckDBPyConnection, actor: Actor, jsonl: Path, label: str, result: FileResult
) -> None:
    con.execute("SET TimeZone = 'UTC'")
    params = {"path": str(jsonl), "label": label}
    first = not con.execute("SELECT count(*) FROM live_outputs").fetchone()[0]
    result.inserted = con.execute(_INSERT, params).fetchone()[0]
    if result.inserted and _duplicates(con, label):
        raise _Invalid(f"{plural(_duplicates(con, label, exact=True), 'duplicate id')} in the file")
    if first:  # nothing was stored, so nothing was skipped: no need to count the file's records
        result.already = 0
    else:
        total = _records(jsonl, exact=False)
        if total != result.inserted:
            total = _records(jsonl, exact=True)
        result.already = total - result.inserted
    if result.inserted:
        approved = con.execute(_APPROVALS, {"label": label, "user": actor.name}).fetchone()
        result.approvals = approved[0]
        con.execute(_WEEKS, {"label": label})
        con.execute(_STRATA, {"label": label})
    audit.record(
        con,
        actor.name,
        actor.role,
        "live.ingest",
        f"live_file:{Path(label).name}",
        {
            "file": label,
            "inserted": result.inserted,
            "already": result.already,
            "approvals": result.approvals,
        },
    )


def _duplicates(con: duckdb.DuckDBPyConnection, label: str, *, exact: bool = False) -> int:
    """Ids the file's new rows repeat. Counted on `id_key` (a number, much cheaper to count
    than text): equal ids have equal keys, so no repeated key means no repeated id; a repeated
    key (a duplicate, or a hash collision) is then counted exactly on the ids."""
    column = "id" if exact else "id_key"
    return con.execute(
        f"SELECT count(*) - count(DISTINCT {column}) FROM live_outputs "
        "WHERE source_file = $label AND ingested_at = now()::TIMESTAMP",
        {"label": label},
    ).fetchone()[0]


def _records(path: Path, *, exact: bool) -> int:
    """Lines holding a record, counted without parsing (the fast path's one read is DuckDB's).
    Blank lines are only looked for when `exact`: when the plain count is all inserted there
    can be none, so the first ingest of a file never pays for the search."""
    lines = blank = 0
    last = b"\n"  # as if a newline came before the file: a leading newline is a blank line
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(1 << 24):
            lines += chunk.count(b"\n")
            if exact:
                blank += last == b"\n" and chunk[:1] == b"\n"
                blank += len(re.findall(rb"\n(?=\n)", chunk))
            last = chunk[-1:]
    return lines - blank + (last != b"\n")


def _diagnose(
    con: duckdb.DuckDBPyConnection,
    jsonl: Path,
    label: str,
    offset: int,
    result: FileResult,
    exc: Exception,
) -> None:
    """Name every problem, line by line, in SQL; nothing was kept."""
    from pilot.review.checks import problems

    rows = problems(con, str(jsonl))
    for line, name, message in rows[:MAX_PROBLEMS]:
        result.errors.append(Problem(label, line + offset, name, message))
    if len(rows) > MAX_PROBLEMS:
        result.errors.append(
            Problem(label, None, None, f"{len(rows) - MAX_PROBLEMS} more problems not listed")
        )
    if not rows:
        result.errors.append(Problem(label, None, None, f"could not be loaded: {exc}"))


def summary(results: list[FileResult]) -> dict[str, Any]:
    return {
        "ok": all(r.ok for r in results),
        "files": [r.as_dict() for r in results],
        "inserted": sum(r.inserted for r in results),
        "already_ingested": sum(r.already for r in results),
        "approvals": sum(r.approvals for r in results),
        "bad_files": [r.file for r in results if not r.ok],
    }
