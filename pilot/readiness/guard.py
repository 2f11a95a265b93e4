"""`pilot.guard`: what production calls before every action. Standard library only.

Two `os.stat` calls per action, no database open: the kill switch's sentinel beside the database
(present: raise `Halted`), and the stage file `<db>.stage` that promotions, demotions and
rollbacks rewrite atomically (read again only when its mtime, size or inode changes). A missing
or unreadable stage file means stage 0: nothing proceeds alone.

Per stage: 0 evaluation (outputs are not used: `allowed` is False), 1 draft (a person does the
work: every output needs a person), 2 approve all (every action needs approval), 3 approve
consequential (only consequential actions need approval).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from pilot.core.errors import Halted

DEFAULT_DB = "pilot.duckdb"


@dataclass(frozen=True)
class Decision:
    action: str
    stage: int
    allowed: bool  # False at stage 0: the system's outputs are not used in production
    needs_approval: bool
    proceed_alone: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int, int], int]] = {}


_paths: dict[str, str] = {}


def _db_path(db: str | os.PathLike[str] | None) -> str:
    """The database's real path (as `Store` resolves it), cached per spelling."""
    given = os.fspath(db or os.environ.get("PILOT_DB") or DEFAULT_DB)
    real = _paths.get(given)
    if real is None or not os.path.isabs(given):  # a relative path follows the cwd
        real = _paths[given] = os.path.realpath(given)
    return real


def _stage(path: str) -> int:
    try:
        st = os.stat(path)
    except OSError:
        return 0
    sig = (st.st_mtime_ns, st.st_size, st.st_ino)
    hit = _cache.get(path)
    if hit is not None and hit[0] == sig:
        return hit[1]
    try:
        stage = int(json.loads(Path(path).read_text(encoding="utf-8"))["stage"])
    except (OSError, ValueError, KeyError, TypeError):
        stage = 0
    stage = stage if 0 <= stage <= 3 else 0
    with _lock:
        _cache[path] = (sig, stage)
    return stage


_REASONS = {
    0: "stage 0 (evaluation): the system's outputs are not used in production",
    1: "stage 1 (draft): the system drafts, a person does the work",
    2: "stage 2 (approve all): a person approves every output",
}


def guard(
    action: str, *, consequential: bool = False, db: str | os.PathLike[str] | None = None
) -> Decision:
    """Raise `Halted` while the kill switch is on; otherwise say whether `action` may proceed
    alone or needs a person's approval at the current stage. `db`: the pilot's database (else
    PILOT_DB, else pilot.duckdb); only files beside it are read."""
    base = _db_path(db)
    if os.path.exists(base + ".kill"):
        raise Halted(f"halted by the kill switch: {action!r} may not proceed")
    stage = _stage(base + ".stage")
    if stage == 3:
        if consequential:
            reason = "stage 3 (approve consequential): this consequential action needs approval"
        else:
            reason = "stage 3 (approve consequential): routine actions proceed alone"
        return Decision(action, 3, True, consequential, not consequential, reason)
    return Decision(action, stage, stage > 0, stage > 0, False, _REASONS[stage])
