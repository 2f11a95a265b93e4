"""`record_output`: append one live output to a local spool, never touching the database.

A production system calls this after each reply. It writes one JSON line to a file of its own
(one per process per hour, `spool-YYYYMMDDHH-HOST-PID.jsonl`), flushed per record, so it never
waits on the database lock; `pilot live ingest` loads the spool later. A process killed mid-write
leaves at most one unterminated last line, which ingest skips until it is complete.

Standard library only: `import pilot` must stay light for production code.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

SPOOL_ENV = "PILOT_SPOOL"
DEFAULT_SPOOL = "pilot-spool"
SPOOL_PREFIX = "spool-"
DECISIONS = ("approved", "edited", "rejected")

_lock = threading.Lock()
_handles: dict[Path, IO[str]] = {}


def spool_dir(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get(SPOOL_ENV) or DEFAULT_SPOOL)


def spool_file(directory: Path, when: datetime) -> Path:
    host = socket.gethostname().replace("-", "_") or "host"
    return directory / f"{SPOOL_PREFIX}{when:%Y%m%d%H}-{host}-{os.getpid()}.jsonl"


def _open_private(path: Path) -> IO[str]:
    """The spool file for appending, owner-only whatever the process's umask: it holds live
    questions, answers and sources, as the database does. The production app that records
    them is not the kit's CLI, which sets an owner-only umask for everything it writes."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    if os.fstat(fd).st_mode & 0o077:  # made earlier, or by hand, with a looser mode
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")


def record_output(
    input: str,
    output: str,
    *,
    id: str | None = None,
    timestamp: datetime | str | None = None,
    citations: Sequence[Mapping[str, Any]] = (),
    sources: Sequence[Mapping[str, Any]] = (),
    consequential: bool = False,
    stage: int = 0,
    tags: Sequence[str] = (),
    system_config: Mapping[str, Any] | None = None,
    approval: Mapping[str, Any] | None = None,
    spool: str | os.PathLike[str] | None = None,
    fsync: bool = False,
) -> str:
    """Append one live output to the spool and return its id (a new UUID unless given).

    `citations`: `{source_id, cited_text, start?, end?}`; `sources`: `{id, title?, text}`;
    `approval`: `{decision: approved|edited|rejected, approver, edited_text?, decided_at?}`.
    With `fsync=True` the record is on disk when this returns, not only in the OS cache.
    """
    if approval is not None and approval.get("decision") not in DECISIONS:
        raise ValueError(f"approval decision must be one of {', '.join(DECISIONS)}")
    now = datetime.now(UTC)
    if isinstance(timestamp, datetime):
        ts = timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        ts = timestamp or now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    record = {
        "id": id or str(uuid.uuid4()),
        "timestamp": ts,
        "input": input,
        "output": output,
        "citations": [dict(c) for c in citations],
        "sources": [dict(s) for s in sources],
        "consequential": bool(consequential),
        "stage": int(stage),
        "tags": list(tags),
        "system_config": dict(system_config) if system_config is not None else None,
        "approval": dict(approval) if approval is not None else None,
    }
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
    path = spool_file(spool_dir(spool), now)
    with _lock:
        handle = _handles.get(path)
        if handle is None:
            for old in list(_handles):
                _handles.pop(old).close()
            handle = _handles[path] = _open_private(path)
        handle.write(line)
        handle.flush()
        if fsync:
            os.fsync(handle.fileno())
    return record["id"]


def close() -> None:
    """Close the open spool file (tests, and processes that want to release it)."""
    with _lock:
        for old in list(_handles):
            _handles.pop(old).close()
