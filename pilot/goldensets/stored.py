"""Stored golden set versions as the other steps read them: which versions exist, a version's
cases, resolving a name or an id prefix. Only this package queries the golden set tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from pilot.core.errors import InputError
from pilot.core.models import GoldenCase, Source
from pilot.core.store import frame
from pilot.goldensets.staging import case_json, digest_sorted

if TYPE_CHECKING:  # polars is imported by the readers of frames, not by a run's calls
    import polars as pl


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


def version_of(cases: list[GoldenCase]) -> str:
    """The content hash that is the version id; independent of file format and case order.

    `content_hash` of the list of case dumps sorted by id, computed a case at a time: the
    canonical JSON of a list is `[` + its items' canonical JSON joined by `,` + `]`, so the
    digest is the same without holding every dump (or the whole text) at once."""
    return digest_sorted((case.id, case_json(case)) for case in cases)


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
    raise InputError(
        f"no golden set or version {ref!r}; `pilot goldenset list` shows them",
        app=f"There is no golden set or version {ref!r}: the Golden set page lists them.",
    )


_CASE_COLUMNS = (
    "case_id, question, expected_answer, answerable, tags, consequential, evidence, sources"
)


def _case(r: tuple[Any, ...]) -> GoldenCase:
    return GoldenCase(
        id=r[0],
        question=r[1],
        expected_answer=r[2],
        answerable=r[3],
        tags=tuple(r[4]),
        consequential=r[5],
        evidence=tuple(r[6]),
        sources=tuple(Source(**s) for s in json.loads(r[7])),
    )


def load_cases(con: duckdb.DuckDBPyConnection, version: str) -> list[GoldenCase]:
    """The version's cases in the order of the file they were imported from."""
    return list(_remembered(version, _case_rows(con, version)).cases)


def _case_rows(con: duckdb.DuckDBPyConnection, version: str) -> list[tuple[Any, ...]]:
    return con.execute(
        f"SELECT {_CASE_COLUMNS} FROM golden_cases WHERE version = ? ORDER BY position",
        [version],
    ).fetchall()


@dataclass
class _Read:
    """A version's rows as last read, the cases built from them, and whether they hash to
    the version id (None: not checked yet)."""

    rows: list[tuple[Any, ...]]
    cases: list[GoldenCase]
    intact: bool | None = None


_READ: dict[str, _Read] = {}  # the last version read: a run reads its cases three times


def _remembered(version: str, rows: list[tuple[Any, ...]]) -> _Read:
    """The cases of `rows`, built once while the stored rows stay exactly the same: every read
    still queries the file, and rows that differ in any value are built (and hashed) anew."""
    read = _READ.get(version)
    if read is None or read.rows != rows:
        read = _Read(rows, [_case(r) for r in rows])
        _READ.clear()
        _READ[version] = read
    return read


def load_case(con: duckdb.DuckDBPyConnection, version: str, case_id: str) -> GoldenCase | None:
    """One case of a version."""
    row = con.execute(
        f"SELECT {_CASE_COLUMNS} FROM golden_cases WHERE version = ? AND case_id = ?",
        [version, case_id],
    ).fetchone()
    return _case(row) if row else None


def content_intact(con: duckdb.DuckDBPyConnection, version: str) -> bool:
    """Whether the stored cases still hash to their version id (read now; the hash of the
    same rows is computed once)."""
    read = _remembered(version, _case_rows(con, version))
    if read.intact is None:
        read.intact = version_of(read.cases) == version
    return read.intact


def version_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, str]]:
    """Every version of every set, newest first: (version, name, n_cases, created_at)."""
    return [
        (str(v), str(n), int(k), str(t))
        for v, n, k, t in con.execute(
            "SELECT version, name, n_cases, created_at FROM goldenset_versions "
            "ORDER BY created_at DESC"
        ).fetchall()
    ]


def version_numbers(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int, int]]:
    """Every version's golden set, its number within the set (in the order they were
    imported) and its case count: {version: ("benefits", 2, 153)}."""
    numbered: dict[str, tuple[str, int, int]] = {}
    counts: dict[str, int] = {}
    for version, name, n_cases, _ in sorted(version_rows(con), key=lambda r: (r[1], r[3], r[0])):
        counts[name] = counts.get(name, 0) + 1
        numbered[version] = (name, counts[name], n_cases)
    return numbered


def case_ids(con: duckdb.DuckDBPyConnection, version: str) -> list[str]:
    """The version's case ids in file order."""
    return [
        r[0]
        for r in con.execute(
            "SELECT case_id FROM golden_cases WHERE version = ? ORDER BY position", [version]
        ).fetchall()
    ]


def version_hash(con: duckdb.DuckDBPyConnection, version: str) -> str | None:
    row = con.execute(
        "SELECT content_hash FROM goldenset_versions WHERE version = ?", [version]
    ).fetchone()
    return str(row[0]) if row else None


def newest_version_of(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The most recently imported version of set `name`."""
    row = con.execute(
        "SELECT version FROM goldenset_versions WHERE name = ? ORDER BY created_at DESC LIMIT 1",
        [name],
    ).fetchone()
    return str(row[0]) if row else None


def versions_matching(con: duckdb.DuckDBPyConnection, ref: str, limit: int = 2) -> list[str]:
    """Versions whose id is `ref` or starts with it."""
    return [
        r[0]
        for r in con.execute(
            "SELECT version FROM goldenset_versions WHERE version = ? OR version LIKE ? "
            "ORDER BY version LIMIT ?",
            [ref, ref + "%", limit],
        ).fetchall()
    ]


def newest_per_set(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, newest version) of each set."""
    return [
        (str(name), str(version))
        for name, version in con.execute(
            "SELECT name, arg_max(version, created_at) FROM goldenset_versions GROUP BY name"
        ).fetchall()
    ]


def case_frame(con: duckdb.DuckDBPyConnection, version: str) -> pl.DataFrame:
    """The version's cases as one frame (sources as JSON text), for joining with results."""
    return frame(
        con,
        "SELECT case_id, question, expected_answer, answerable, tags, consequential, position, "
        "sources::VARCHAR AS sources, evidence FROM golden_cases WHERE version = ?",
        [version],
    )


def case_sources_json(con: duckdb.DuckDBPyConnection, version: str, case_id: str) -> str | None:
    """One case's sources as stored (JSON text)."""
    row = con.execute(
        "SELECT sources FROM golden_cases WHERE version = ? AND case_id = ?", [version, case_id]
    ).fetchone()
    return row[0] if row else None
