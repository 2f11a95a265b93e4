"""Reusing the scores of an identical, already scored run (issue #14: the cached re-run).

A run's `correct` column and summary are a pure function of its result rows, the golden-set
version, the bar version, the match rule and the code that scores (pilot's and `metrics`'
source, polars, numpy, duckdb, Python). `score_key` hashes exactly those, never a time; a
finished run records its key in its audited `run.finish` event. A run with the same key is
scored by copying that run's `correct` values and summary (`reuse`), so a fully cached CI
re-run needs neither polars nor the metrics.

Only runs that made no live call take part: a live call's latency is in its row and in the
latency metrics, so such a run's key could never recur. For the runs that take part, `latency_ms`
is left out of the key: the latency metrics count live calls only (`metrics.latency`), and
these runs have none (tests/pilot/test_score_memo.py checks that a summary does not move with
those latencies, and that each input changed misses). Under the LLM-judge rule the judgements
are an input too: such runs never take part. A run whose recorded results or summary no longer
match their audited digests is never reused.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import duckdb

from pilot.core.events import events_with
from pilot.core.models import content_hash
from pilot.define.bar_versions import BarVersion
from pilot.define.bars import MatchRule
from pilot.runs.integrity import results_digest, summary_digest

KEY_VERSION = 1
CODE_PACKAGES = ("pilot", "metrics")
LIBRARIES = ("polars", "numpy", "duckdb", "pyarrow")
# The columns the score reads, less `latency_ms` (see above) and the scoring's own outputs.
KEY_SQL = """
SELECT case_id, answer, abstained, claims, citations, error, cached, input_tokens,
       output_tokens, cost_usd, model, stop_reason, attempts, request_hash
FROM results WHERE run_id = ? ORDER BY case_id
"""
LIVE_SQL = (
    "SELECT count(*) FROM results WHERE run_id = ? "
    "AND coalesce(attempts, 0) > 0 AND NOT coalesce(cached, false)"
)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)  # finds, does not import (metrics imports polars)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _library(name: str) -> str:
    """The installed distribution's name and version (its dist-info folder), without
    importing it or importlib.metadata."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        return f"{name}: absent"
    site = Path(spec.origin).parent.parent
    found = sorted(p.name for p in site.glob(f"{name}-*.dist-info"))
    return ",".join(found) or f"{name}: {spec.origin}"


def code_hash(roots: tuple[Path, ...] | None = None) -> str:
    """A hash of every source file of pilot and metrics, and of the libraries' versions."""
    if roots is None:
        return _installed_code_hash()
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def _installed_code_hash() -> str:
    roots = tuple(p for p in (_package_dir(n) for n in CODE_PACKAGES) if p is not None)
    libraries = [_library(n) for n in LIBRARIES]
    return content_hash([code_hash(roots), libraries, sys.version])


def score_key(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    goldenset: str | None,
    version: BarVersion | None,
    rule: MatchRule,
) -> str | None:
    """The run's scoring inputs as one hash, or None when it cannot take part (a live call,
    or the LLM-judge rule)."""
    if rule.rule == "judge":
        return None
    if con.execute(LIVE_SQL, [run_id]).fetchone()[0]:
        return None
    rows = con.execute(KEY_SQL, [run_id]).fetchall()
    rows_hash = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
    bar = None if version is None else repr(version)  # every field, signature included
    return content_hash([KEY_VERSION, rows_hash, goldenset, bar, rule.label(), code_hash()])


def reuse(
    con: duckdb.DuckDBPyConnection, run_id: str, key: str
) -> tuple[str, dict[str, Any]] | None:
    """Score `run_id` as the newest intact run recorded with `key` was scored: its `correct`
    and `match_rule` copied to this run's rows, and its summary. None: no such run."""
    for obj, payload in events_with(con, "run.finish", "score_key", key):
        source = obj.removeprefix("run:")
        if source == run_id:
            continue
        row = con.execute("SELECT summary FROM runs WHERE run_id = ?", [source]).fetchone()
        if row is None or row[0] is None:
            continue
        if summary_digest(row[0]) != payload.get("summary_digest"):
            continue  # its summary changed after it was recorded
        if results_digest(con, source) != payload.get("results_digest"):
            continue  # its results (their `correct` among them) changed after it finished
        con.execute(
            "UPDATE results SET correct = p.correct, match_rule = p.match_rule "
            "FROM (SELECT case_id, correct, match_rule FROM results WHERE run_id = ?) p "
            "WHERE results.run_id = ? AND results.case_id = p.case_id",
            [source, run_id],
        )
        return source, json.loads(row[0])
    return None
