"""Golden sets: content-hashed versions of agreed cases, imported whole or not at all.

A version id is the sha256 of the normalised content (cases sorted by id, canonical JSON), so
the same cases give the same version whether they came as JSONL, CSV or Parquet, re-importing
them is a no-op, and a changed file is a new version. Versions are never edited; the one thing
added later is who agreed the outcomes, written once.

Parsing and validation live in `pilot.goldensets.io`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

import pilot
from pilot.core import audit
from pilot.core.access import Actor, Who, find_actor, write_as
from pilot.core.errors import InputError
from pilot.core.inert import highlight_html
from pilot.core.models import GoldenCase, Source, canonical_json, content_hash
from pilot.core.store import Store, get_setting
from pilot.goldensets.io import (
    DEFAULT_MAX_BYTES,
    FIELDS,
    GoldenSetInvalid,
    Problem,
    ValidationReport,
    validate_goldenset,
)

__all__ = [
    "GoldenSetInvalid",
    "ImportResult",
    "Problem",
    "ValidationReport",
    "VersionInfo",
    "diff_versions",
    "evidence_spans",
    "import_goldenset",
    "latest_version",
    "list_goldensets",
    "load_cases",
    "record_agreement",
    "validate_goldenset",
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


@dataclass(frozen=True)
class VersionInfo:
    version: str
    name: str
    content_hash: str
    n_cases: int
    n_unanswerable: int
    created_at: str
    created_by: str
    source_file: str
    format: str
    agreed_by: str | None
    agreed_at: str | None
    agreement_recorded_by: str | None
    note: str | None

    @property
    def short(self) -> str:
        return self.version[:16]


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    fields: list[str]


@dataclass(frozen=True)
class VersionDiff:
    a: str
    b: str
    added: list[str]
    removed: list[str]
    changed: list[CaseChange]
    unchanged: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "added": self.added,
            "removed": self.removed,
            "changed": [{"case_id": c.case_id, "fields": c.fields} for c in self.changed],
            "unchanged": self.unchanged,
        }

    def rows(self) -> list[dict[str, str]]:
        """One row per case that differs, for a table."""
        return (
            [{"case": c, "change": "added", "fields": ""} for c in self.added]
            + [{"case": c, "change": "removed", "fields": ""} for c in self.removed]
            + [
                {"case": c.case_id, "change": "changed", "fields": ", ".join(c.fields)}
                for c in self.changed
            ]
        )


def version_of(cases: list[GoldenCase]) -> str:
    """The content hash that is the version id; independent of file format and case order."""
    return content_hash([c.model_dump(mode="json") for c in sorted(cases, key=lambda c: c.id)])


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
) -> ImportResult:
    """Validate a whole file and store it as a version of `name`, in one transaction.

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
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data, filename = bytes(path_or_bytes), filename or f"{name}.jsonl"
    else:
        path = Path(path_or_bytes)
        filename = filename or path.name
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.stat().st_size > limit:
            report = ValidationReport(filename, "")
            report.error(None, None, f"file is over the {limit} byte limit ({MAX_BYTES_SETTING})")
            raise GoldenSetInvalid(report)
        data = path.read_bytes()
    report = validate_goldenset(data, filename, max_bytes=limit)
    if report.errors:
        raise GoldenSetInvalid(report)
    version = version_of(report.cases)
    n_unanswerable = sum(not c.answerable for c in report.cases)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> ImportResult:
        existing = con.execute(
            "SELECT name FROM goldenset_versions WHERE version = ?", [version]
        ).fetchone()
        result = ImportResult(
            version, name, len(report.cases), True, report.warnings, n_unanswerable
        )
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
                len(report.cases),
                n_unanswerable,
                now,
                actor.name,
                filename,
                report.format,
            ],
        )
        _insert_cases(con, version, report.cases)
        audit.record(
            con,
            actor.name,
            actor.role,
            "goldenset.import",
            obj,
            {
                "version": version,
                "n_cases": len(report.cases),
                "n_unanswerable": n_unanswerable,
                "source_file": filename,
                "format": report.format,
                "warnings": len(report.warnings),
            },
        )
        return result

    return write_as(store, user, "edit_pilot", "goldenset.import", obj, body)


def _insert_cases(con: duckdb.DuckDBPyConnection, version: str, cases: list[GoldenCase]) -> None:
    """One columnar insert rather than a statement per case: large sets stay fast."""
    import pyarrow as pa

    table = pa.table(
        {
            "version": [version] * len(cases),
            "case_id": [c.id for c in cases],
            "position": list(range(len(cases))),
            "question": [c.question for c in cases],
            "expected_answer": pa.array([c.expected_answer for c in cases], pa.string()),
            "answerable": [c.answerable for c in cases],
            "tags": pa.array([list(c.tags) for c in cases], pa.list_(pa.string())),
            "consequential": [c.consequential for c in cases],
            "evidence": pa.array([list(c.evidence) for c in cases], pa.list_(pa.string())),
            "sources": [
                canonical_json([s.model_dump(mode="json") for s in c.sources]) for c in cases
            ],
        }
    )
    con.register("gs_incoming", table)
    try:
        con.execute(
            "INSERT INTO golden_cases SELECT version, case_id, position, question, "
            "expected_answer, answerable, tags, consequential, evidence, sources::JSON "
            "FROM gs_incoming"
        )
    finally:
        con.unregister("gs_incoming")


_VERSION_COLUMNS = (
    "version, name, content_hash, n_cases, n_unanswerable, created_at, created_by, "
    "source_file, format, agreed_by, agreed_at, agreement_recorded_by, note"
)


def versions(con: duckdb.DuckDBPyConnection, name: str) -> list[VersionInfo]:
    """Every version of `name`, newest first."""
    rows = con.execute(
        f"SELECT {_VERSION_COLUMNS} FROM goldenset_versions WHERE name = ? "
        "ORDER BY created_at DESC, version",
        [name],
    ).fetchall()
    return [VersionInfo(*row) for row in rows]


def version_info(con: duckdb.DuckDBPyConnection, version: str) -> VersionInfo | None:
    row = con.execute(
        f"SELECT {_VERSION_COLUMNS} FROM goldenset_versions WHERE version = ?", [version]
    ).fetchone()
    return VersionInfo(*row) if row else None


def latest_version(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    found = versions(con, name)
    return found[0].version if found else None


def list_goldensets(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One row per golden set with its latest version."""
    sets = con.execute(
        "SELECT name, created_at, created_by FROM goldensets ORDER BY name"
    ).fetchall()
    listed = []
    for name, created_at, created_by in sets:
        history = versions(con, name)
        latest = history[0] if history else None
        listed.append(
            {
                "name": name,
                "created_at": created_at,
                "created_by": created_by,
                "versions": len(history),
                "latest_version": latest.version if latest else None,
                "n_cases": latest.n_cases if latest else 0,
                "n_unanswerable": latest.n_unanswerable if latest else 0,
                "imported_at": latest.created_at if latest else None,
                "agreed_by": latest.agreed_by if latest else None,
            }
        )
    return listed


def resolve_version(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """A full version id from a version id, a unique prefix of one, or a set name (latest)."""
    ref = (ref or "").strip()
    latest = latest_version(con, ref) if ref else None
    if latest:
        return latest
    if len(ref) >= 6:
        found = [
            row[0]
            for row in con.execute(
                "SELECT version FROM goldenset_versions WHERE starts_with(version, ?)",
                [ref.lower()],
            ).fetchall()
        ]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InputError(f"{ref!r} matches {len(found)} versions: give more characters")
    raise InputError(f"no golden set or version {ref!r}; `pilot goldenset list` shows them")


def load_cases(con: duckdb.DuckDBPyConnection, version: str) -> list[GoldenCase]:
    """The version's cases in the order of the file they were imported from."""
    rows = con.execute(
        "SELECT case_id, question, expected_answer, answerable, tags, consequential, evidence, "
        "sources FROM golden_cases WHERE version = ? ORDER BY position",
        [version],
    ).fetchall()
    return [
        GoldenCase(
            id=r[0],
            question=r[1],
            expected_answer=r[2],
            answerable=r[3],
            tags=tuple(r[4]),
            consequential=r[5],
            evidence=tuple(r[6]),
            sources=tuple(Source(**s) for s in json.loads(r[7])),
        )
        for r in rows
    ]


def content_intact(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    """Whether the stored cases still hash to their version id."""
    return version_of(load_cases(con, version)) == version


def summarize(cases: list[GoldenCase]) -> dict[str, Any]:
    """Counts the page, the CLI and the report show for a version (or a filtered slice)."""
    n = len(cases)
    unanswerable = sum(not c.answerable for c in cases)
    tags = Counter(tag for c in cases for tag in c.tags)
    return {
        "n_cases": n,
        "n_unanswerable": unanswerable,
        "unanswerable_share": unanswerable / n if n else 0.0,
        "n_consequential": sum(c.consequential for c in cases),
        "n_with_evidence": sum(bool(c.evidence) for c in cases),
        "tags": dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def filter_by_tags(cases: list[GoldenCase], tags: list[str]) -> list[GoldenCase]:
    """Cases carrying every one of `tags` (all cases when none is given)."""
    wanted = set(tags)
    return [c for c in cases if wanted <= set(c.tags)]


def case_rows(cases: list[GoldenCase]) -> list[dict[str, Any]]:
    """One flat row per case, for tables."""
    return [
        {
            "id": c.id,
            "question": c.question,
            "answerable": c.answerable,
            "expected_answer": c.expected_answer,
            "tags": ", ".join(c.tags),
            "consequential": c.consequential,
            "evidence": len(c.evidence),
            "sources": len(c.sources),
        }
        for c in cases
    ]


def diff_versions(con: duckdb.DuckDBPyConnection, a: str, b: str) -> VersionDiff:
    """What changed from version `a` to version `b`, case by case and field by field."""
    old = {c.id: c.model_dump(mode="json") for c in load_cases(con, a)}
    new = {c.id: c.model_dump(mode="json") for c in load_cases(con, b)}
    changed = []
    for case_id in sorted(old.keys() & new.keys()):
        fields = [f for f in FIELDS if f != "id" and old[case_id][f] != new[case_id][f]]
        if fields:
            changed.append(CaseChange(case_id, fields))
    return VersionDiff(
        a,
        b,
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=changed,
        unchanged=len(old.keys() & new.keys()) - len(changed),
    )


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


def evidence_spans(case: GoldenCase) -> list[tuple[str, int, int]]:
    """Every occurrence of every evidence passage: (source_id, start, end) into source.text."""
    spans = []
    for source in case.sources:
        for passage in case.evidence:
            start = source.text.find(passage)
            while start != -1:
                spans.append((source.id, start, start + len(passage)))
                start = source.text.find(passage, start + 1)
    return sorted(set(spans), key=lambda s: (s[0], s[1], s[2]))


def highlighted_sources(
    case: GoldenCase, *, context: int | None = None
) -> list[tuple[Source, str, int]]:
    """Each source of the case as inert HTML with its evidence marked, and the mark count."""
    spans = evidence_spans(case)
    shown = []
    for source in case.sources:
        mine = [(start, end) for sid, start, end in spans if sid == source.id]
        shown.append((source, highlight_html(source.text, mine, context=context), len(mine)))
    return shown


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
