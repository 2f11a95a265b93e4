"""A validated golden set on its way into the database, held on disk rather than in memory.

Each good case is written, as its canonical JSON (the bytes its version hash is taken over), to
a private staging file (mode 0600, next to the database, deleted when the import ends); the
process keeps only each case's id and where its JSON lies. The version hash reads the cases
back in id order, and DuckDB loads the file itself in one statement, inside the import's one
transaction. So an import holds neither the parsed cases as objects nor a second copy of the
content in Python: its memory is DuckDB's for the rows it inserts, plus a little per case.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from array import array
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import duckdb

from pilot.core.models import GoldenCase, canonical_json

_COLUMNS = (
    "{'p': 'INTEGER', 'c': 'STRUCT(id VARCHAR, question VARCHAR, expected_answer VARCHAR, "
    "answerable BOOLEAN, tags VARCHAR[], consequential BOOLEAN, evidence VARCHAR[], "
    "sources JSON)'}"
)


def release_budget(con: duckdb.DuckDBPyConnection) -> None:
    """Undo `insert`'s cap: the database instance may be shared with other connections in this
    process (the app's sessions), which must not keep it. The pilot never sets its own limit,
    so DuckDB's default is what to go back to."""
    con.execute("RESET memory_limit")


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
    """Cases in file order, staged in a private file: `{"p": position, "c": case}` a line."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is not None and any(ch in str(directory) for ch in "*?[{"):
            directory = None  # DuckDB would read the path as a glob: use the system's temp dir
        fd, name = tempfile.mkstemp(prefix=".pilot-import-", suffix=".jsonl", dir=directory)
        self.path = Path(name)  # mkstemp creates it 0600
        self._file = os.fdopen(fd, "w+b")
        self.ids: list[str] = []
        self._offsets = array("q")
        self._lengths = array("q")
        self.n_unanswerable = 0
        self._longest = 0

    def __enter__(self) -> StagedCases:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def add_all(self, cases: Iterable[GoldenCase]) -> None:
        out = self._file
        for case in cases:
            doc = case_json(case)
            head = b'{"p":%d,"c":' % len(self.ids)
            self._offsets.append(out.tell() + len(head))
            self._lengths.append(len(doc))
            out.write(head + doc + b"}\n")
            self.ids.append(case.id)
            self.n_unanswerable += not case.answerable
            self._longest = max(self._longest, len(doc))
        out.flush()

    def __len__(self) -> int:
        return len(self.ids)

    def version(self) -> str:
        """The version id: the cases' canonical JSON hashed in id order, read back one case
        at a time (the same digest `stored.version_of` gives)."""
        order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        digest = hashlib.sha256(b"[")
        for index, i in enumerate(order):
            if index:
                digest.update(b",")
            self._file.seek(self._offsets[i])
            digest.update(self._file.read(self._lengths[i]))
        digest.update(b"]")
        self._file.seek(0, os.SEEK_END)
        return digest.hexdigest()

    def memory_budget(self) -> int:
        """What DuckDB may hold while it inserts and commits: one and a half times the staged
        content and 48 MB. Left unbounded it keeps about four times the content (the JSON
        reader's buffers, the rows, the WAL it writes at commit, all kept after use); bounded,
        it frees them as it goes. (100 MB sufficed for 50 MB of content; too tight a budget is
        an out-of-memory error, and the import is then retried unbounded.)"""
        return 48 * 1024 * 1024 + 3 * self._file.tell() // 2

    def insert(self, con: duckdb.DuckDBPyConnection, version: str, *, bounded: bool = True) -> None:
        """Every staged case into `golden_cases`, read by DuckDB straight from the file. With
        `bounded`, DuckDB's memory is capped at `memory_budget` from here through the commit;
        the caller calls `release_budget` once the transaction has ended."""
        self._file.flush()
        if bounded:
            con.execute(f"SET memory_limit = '{self.memory_budget()}B'")
        else:
            release_budget(con)  # a shared instance may still hold an earlier attempt's cap
        self._insert(con, version)

    def _insert(self, con: duckdb.DuckDBPyConnection, version: str) -> None:
        con.execute(
            "INSERT INTO golden_cases SELECT ?, c.id, p, c.question, c.expected_answer, "
            "c.answerable, c.tags, c.consequential, c.evidence, c.sources FROM read_json(?, "
            f"format = 'newline_delimited', columns = {_COLUMNS}, "
            "maximum_object_size = ?)",
            [version, str(self.path), self._longest + 4096],
        )
