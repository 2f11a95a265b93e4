"""A validated golden set on its way into the database, held compactly: each good case as its
canonical JSON (the bytes its version hash is taken over) rather than as objects, so a large
import holds about one copy of its content while the file is read, and the database is opened
only once the whole file has passed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator

import duckdb

from pilot.core.models import GoldenCase, canonical_json

INSERT_CHUNK = 5_000


def case_json(case: GoldenCase) -> bytes:
    """The canonical JSON of one case, as the version hash reads it."""
    return canonical_json(case.model_dump(mode="json")).encode("utf-8")


def digest_sorted(pairs: Iterable[tuple[str, bytes]]) -> str:
    """sha256 of the JSON list of the cases sorted by id: `[` + their canonical JSON joined by
    `,` + `]`, which is `content_hash` of the list, a case at a time."""
    digest = hashlib.sha256(b"[")
    for index, (_, doc) in enumerate(sorted(pairs, key=lambda pair: pair[0])):
        if index:
            digest.update(b",")
        digest.update(doc)
    digest.update(b"]")
    return digest.hexdigest()


class StagedCases:
    """Cases in file order as (id, canonical JSON)."""

    def __init__(self) -> None:
        self.docs: list[tuple[str, bytes]] = []
        self.n_unanswerable = 0

    def add_all(self, cases: Iterable[GoldenCase]) -> None:
        for case in cases:
            self.docs.append((case.id, case_json(case)))
            self.n_unanswerable += not case.answerable

    def __len__(self) -> int:
        return len(self.docs)

    def version(self) -> str:
        return digest_sorted(self.docs)

    def insert(self, con: duckdb.DuckDBPyConnection, version: str) -> None:
        """Columnar inserts a chunk at a time (no second full copy as Arrow columns)."""
        for first, chunk in _chunks(self.docs, INSERT_CHUNK):
            _insert_chunk(con, version, [json.loads(doc) for _, doc in chunk], first)


def _chunks(docs: list[tuple[str, bytes]], n: int) -> Iterator[tuple[int, list[tuple[str, bytes]]]]:
    for first in range(0, len(docs), n):
        yield first, docs[first : first + n]


def _insert_chunk(
    con: duckdb.DuckDBPyConnection, version: str, cases: list[dict], first: int
) -> None:
    import pyarrow as pa

    table = pa.table(
        {
            "version": pa.array([version] * len(cases), pa.string()),
            "case_id": pa.array([c["id"] for c in cases], pa.string()),
            "position": pa.array(range(first, first + len(cases)), pa.int64()),
            "question": pa.array([c["question"] for c in cases], pa.string()),
            "expected_answer": pa.array([c["expected_answer"] for c in cases], pa.string()),
            "answerable": pa.array([c["answerable"] for c in cases], pa.bool_()),
            "tags": pa.array([c["tags"] for c in cases], pa.list_(pa.string())),
            "consequential": pa.array([c["consequential"] for c in cases], pa.bool_()),
            "evidence": pa.array([c["evidence"] for c in cases], pa.list_(pa.string())),
            "sources": pa.array([canonical_json(c["sources"]) for c in cases], pa.string()),
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
