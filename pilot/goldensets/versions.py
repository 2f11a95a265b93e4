"""Golden sets: content-hashed versions of agreed cases, imported whole or not at all.

A version id is the sha256 of the normalised content (cases sorted by id, canonical JSON), so
the same cases give the same version whether they came as JSONL, CSV or Parquet, re-importing
them is a no-op, and a changed file is a new version. Versions are never edited; the one thing
added later is who agreed the outcomes, written once.

Parsing and validation live in `pilot.goldensets.io`; reading stored versions in
`pilot.goldensets.stored`; a version's cases as people read them in `pilot.goldensets.cases`.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

import pilot
from pilot.core import audit
from pilot.core.access import Actor, Who, find_actor, write_as
from pilot.core.errors import InputError, PilotError
from pilot.core.store import Store, get_setting
from pilot.goldensets.cases import (
    CaseChange,
    VersionDiff,
    case_rows,
    diff_versions,
    evidence_spans,
    filter_by_tags,
    highlighted_sources,
    summarize,
)
from pilot.goldensets.io import (
    DEFAULT_MAX_BYTES,
    GoldenSetInvalid,
    Problem,
    ValidationReport,
    new_report,
    scan_goldenset,
    validate_goldenset,
)
from pilot.goldensets.staging import StagedCases, release_budget
from pilot.goldensets.stored import (
    VersionInfo,
    content_intact,
    latest_version,
    list_goldensets,
    load_cases,
    resolve_version,
    version_info,
    version_of,
    versions,
)

__all__ = [
    "CaseChange",
    "GoldenSetInvalid",
    "ImportResult",
    "Problem",
    "ValidationReport",
    "VersionDiff",
    "VersionInfo",
    "case_rows",
    "content_intact",
    "diff_versions",
    "evidence_spans",
    "filter_by_tags",
    "highlighted_sources",
    "import_goldenset",
    "latest_version",
    "list_goldensets",
    "load_cases",
    "record_agreement",
    "resolve_version",
    "summarize",
    "validate_goldenset",
    "version_info",
    "version_of",
    "versions",
]

MAX_BYTES_SETTING = "goldenset_max_bytes"
DEMO_FILE = Path(pilot.__file__).resolve().parents[1] / "goldensets" / "benefits.jsonl"
DEMO_AGREED_BY = "Omar Haddad, benefits process owner"


@dataclass(frozen=True)
class ImportResult:
    version: str
    name: str
    n_cases: int
    created: bool
    warnings: list[Problem] = field(default_factory=list)
    n_unanswerable: int = 0

    @property
    def short(self) -> str:
        return self.version[:16]


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise InputError(
            f"--name {name!r}: a golden set name needs 1-64 letters, digits, '-' or '_'"
        )
    return name


def default_name(filename: str) -> str:
    """A usable set name from a file name: `Benefits v2.jsonl` -> `benefits-v2`."""
    stem = Path(filename).stem.lower()
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem).strip("-_")
    return cleaned[:64] or "goldenset"


class Unchecked:
    """The default of `import_goldenset(based_on=...)`: any latest version will do."""


UNCHECKED = Unchecked()


def max_bytes(con: duckdb.DuckDBPyConnection) -> int:
    raw = get_setting(con, MAX_BYTES_SETTING)
    return int(raw) if raw and raw.isdigit() else DEFAULT_MAX_BYTES


def import_goldenset(
    store: Store,
    user: Who,
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    name: str,
    filename: str | None = None,
    based_on: str | None | Unchecked = UNCHECKED,
) -> ImportResult:
    """Validate a whole file and store it as a version of `name`, in one transaction.

    `based_on` is for content built from a stored version (an edited case, a promoted live
    output): the version `name` had when the content was read, or None for a new set. When the
    latest version is no longer that one, someone else changed the set meanwhile, and nothing is
    stored (an `InputError` says so), so two edits at once never lose one of them.

    Raises `GoldenSetInvalid` (an `InputError`, carrying every problem and the report) and
    imports nothing when the file has any error. Importing content that is already a version
    of `name` changes nothing and returns `created=False`.
    """
    name = check_name(name)
    obj = f"goldenset:{name}"
    with store.read() as con:
        limit = max_bytes(con)
        actor = find_actor(con, user)
    if actor is None or not actor.can("edit_pilot"):
        # Refuse before reading the file; write_as raises PermissionDenied and audits it.
        write_as(store, user, "edit_pilot", "goldenset.import", obj, lambda con, a: None)
    data: bytes | Path
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data, filename = bytes(path_or_bytes), filename or f"{name}.jsonl"
    else:
        data = Path(path_or_bytes)
        filename = filename or data.name
        if not data.is_file():
            raise InputError(f"{data}: no such file")
    # Read and check the whole file before the database is opened; good cases are staged in a
    # private file beside the database (never all in memory as objects), deleted at the end.
    report = new_report(data, filename)
    with StagedCases(store.path.parent) as staged:
        staged.add_all(scan_goldenset(data, report, max_bytes=limit))
        if report.errors:
            raise GoldenSetInvalid(report)
        return _store_version(store, user, staged, name, filename, report, based_on)


def _store_version(
    store: Store,
    user: Who,
    staged: StagedCases,
    name: str,
    filename: str,
    report: ValidationReport,
    based_on: str | None | Unchecked = UNCHECKED,
) -> ImportResult:
    """The staged cases as a new version of `name`, in one transaction (or nothing when this
    content is already that version)."""
    obj = f"goldenset:{name}"
    version = staged.version()
    n_unanswerable = staged.n_unanswerable
    n_cases = len(staged)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> ImportResult:
        if not isinstance(based_on, Unchecked) and latest_version(con, name) != based_on:
            raise InputError(
                f"golden set {name!r} changed while this version was being made (someone "
                "else saved a version); nothing saved. Open the latest version and try again."
            )
        existing = con.execute(
            "SELECT name FROM goldenset_versions WHERE version = ?", [version]
        ).fetchone()
        result = ImportResult(version, name, n_cases, True, report.warnings, n_unanswerable)
        if existing and existing[0] == name:
            return replace(result, created=False)
        if existing:
            raise InputError(
                f"{filename}: this content is already version {version[:16]} of golden set "
                f"{existing[0]!r}; nothing imported. Import it under that name, or change it."
            )
        now = audit.utc_now()
        con.execute(
            "INSERT INTO goldensets VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [name, now, actor.name],
        )
        con.execute(
            "INSERT INTO goldenset_versions VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)",
            [
                version,
                name,
                version,
                n_cases,
                n_unanswerable,
                now,
                actor.name,
                filename,
                report.format,
            ],
        )
        staged.insert(con, version, bounded=bounded)
        audit.record(
            con,
            actor.name,
            actor.role,
            "goldenset.import",
            obj,
            {
                "version": version,
                "n_cases": n_cases,
                "n_unanswerable": n_unanswerable,
                "source_file": filename,
                "format": report.format,
                "warnings": len(report.warnings),
            },
        )
        return result

    bounded = True
    try:
        return write_as(store, user, "edit_pilot", "goldenset.import", obj, body)
    except duckdb.OutOfMemoryException:
        bounded = False  # the budget was too tight for this content: once more, unbounded
        return write_as(store, user, "edit_pilot", "goldenset.import", obj, body)
    finally:
        # A no-op unless the instance outlived the import; never hides the import's own error.
        with contextlib.suppress(PilotError, duckdb.Error), store.read() as con:
            release_budget(con)


def record_agreement(
    store: Store, user: Who, version: str, agreed_by: str, note: str | None = None
) -> VersionInfo:
    """Record who agreed this version's expected outcomes; a lead records it, once."""
    agreed_by = (agreed_by or "").strip()
    if not agreed_by:
        raise InputError('--by: name the person who agreed the outcomes, e.g. "Omar, owner"')
    note = (note or "").strip() or None

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> VersionInfo:
        full = resolve_version(con, version)
        info = version_info(con, full)
        assert info is not None
        if info.agreed_by:
            raise InputError(
                f"version {info.short} of {info.name} was already agreed by {info.agreed_by} "
                f"at {info.agreed_at}; a version's agreement is recorded once"
            )
        now = audit.utc_now()
        con.execute(
            "UPDATE goldenset_versions SET agreed_by = ?, agreed_at = ?, "
            "agreement_recorded_by = ?, note = ? WHERE version = ?",
            [agreed_by, now, actor.name, note, full],
        )
        audit.record(
            con,
            actor.name,
            actor.role,
            "goldenset.agree",
            f"goldenset:{info.name}",
            {"version": full, "agreed_by": agreed_by, "note": note},
        )
        return version_info(con, full)  # type: ignore[return-value]

    return write_as(store, user, "sign", "goldenset.agree", f"goldenset_version:{version}", body)


def seed_demo_goldenset(store: Store, path: Path = DEMO_FILE) -> dict[str, Any]:
    """The demo pilot's golden set, imported by priya and agreed by the process owner."""
    if not path.is_file():
        return {"skipped": f"{path} is missing, so the demo has no golden set yet"}
    result = import_goldenset(store, "priya", path, name="benefits")
    with store.read() as con:
        info = version_info(con, result.version)
    if info is not None and not info.agreed_by:
        record_agreement(
            store,
            "priya",
            result.version,
            DEMO_AGREED_BY,
            "Expected answers checked against the 2025 policies.",
        )
    return {"name": result.name, "version": result.version, "n_cases": result.n_cases}
