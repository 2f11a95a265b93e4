"""One case of one run, traced: the request as it was sent (redacted: the data boundary at work),
the passages offered, tokens, latency and cost, and only the cited passages with a little
context around them (the whole document is there too, for an expander).

The request is not stored; it is rebuilt from what is: the golden case, the run's system
config and the data boundary of a recorded workflow version. The writer stored the request's
cache key (`results.request_hash`, a hash of the config and the exact content sent), so a
rebuilt request is checked against it: `exact` says the rebuilt request is byte for byte what
was sent, and which boundary version sent it; otherwise the page says it could not be matched
(the boundary was changed and its old version is gone, or the case was sent before hashing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pilot.core.models import GoldenCase, SystemConfig
from pilot.define.redaction import bound_case
from pilot.define.workflow import DataBoundary, workflow_history
from pilot.goldensets.stored import load_case
from pilot.runs.cache import cache_key
from pilot.runs.configs import load_config
from pilot.runs.prices import usage_cost
from pilot.runs.systems.registry import human_label, payload_for

CONTEXT = 300  # characters shown either side of a cited passage


@dataclass(frozen=True)
class Passage:
    """A source as the case view shows it: what was offered, and where it was cited."""

    source_id: str
    title: str
    text: str  # the golden set's own text (citations index into it)
    spans: list[tuple[int, int]]
    offered: bool  # the boundary let it leave (it was in the request)

    @property
    def cited(self) -> int:
        return len(self.spans)


@dataclass(frozen=True)
class CaseTrace:
    run_id: str
    case_id: str
    system: str  # a human label: "Claude claude-sonnet-4-5 · top 3 passages"
    request: dict[str, Any] | None  # the payload as sent (redacted), when it could be rebuilt
    exact: bool  # the rebuilt request hashes to the key stored when it was sent
    boundary: str  # which boundary version sent it, in words
    redactions: int  # strings of the request the boundary changed
    input_tokens: int
    output_tokens: int
    latency_ms: float | None
    cost_usd: float | None  # None: the model's price is unknown (never shown as $0)
    model: str | None
    attempts: int
    cached: bool
    passages: list[Passage] = field(default_factory=list)

    @property
    def cited(self) -> list[Passage]:
        return [p for p in self.passages if p.spans]

    def request_json(self) -> str:
        return json.dumps(self.request, indent=2, ensure_ascii=False) if self.request else ""


_ROW = """
SELECT r.citations, r.request_hash, r.input_tokens, r.output_tokens, r.latency_ms, r.model,
       r.attempts, r.cached, runs.goldenset_version, runs.config_version
FROM results r JOIN runs USING (run_id) WHERE r.run_id = ? AND r.case_id = ?
"""


def case_trace(con: duckdb.DuckDBPyConnection, run_id: str, case_id: str) -> CaseTrace | None:
    """The trace of `case_id` in `run_id`; None when the run has no result for it."""
    row = con.execute(_ROW, [run_id, case_id]).fetchone()
    if row is None:
        return None
    citations, key, tokens_in, tokens_out, latency, model, attempts, cached, version, cfg = row
    config = load_config(con, cfg)
    case = load_case(con, version, case_id)
    request, exact, boundary, redactions, offered = _rebuild(con, case, config, key)
    spans: dict[str, list[tuple[int, int]]] = {}
    for c in json.loads(citations or "[]"):
        spans.setdefault(c["source_id"], []).append((int(c["start"]), int(c["end"])))
    passages = [
        Passage(s.id, s.title or s.id, s.text, sorted(spans.get(s.id, [])), s.id in offered)
        for s in (case.sources if case else ())
    ]
    return CaseTrace(
        run_id=run_id,
        case_id=case_id,
        system=human_label(config),
        request=request,
        exact=exact,
        boundary=boundary,
        redactions=redactions,
        input_tokens=int(tokens_in or 0),
        output_tokens=int(tokens_out or 0),
        latency_ms=latency,
        cost_usd=usage_cost(model, tokens_in or 0, tokens_out or 0),
        model=model,
        attempts=int(attempts or 0),
        cached=bool(cached),
        passages=passages,
    )


def _rebuild(
    con: duckdb.DuckDBPyConnection, case: GoldenCase | None, config: SystemConfig, key: str | None
) -> tuple[dict[str, Any] | None, bool, str, int, set[str]]:
    """The request under each recorded boundary, newest first, until one hashes to `key`; the
    newest boundary's request (not exact) when none does."""
    if case is None:
        return None, False, "the case is no longer in its golden set version", 0, set()
    candidates = [(f"data boundary version {w.version}", w.boundary) for w in workflow_history(con)]
    candidates.append(("the default data boundary", DataBoundary()))
    first: tuple[dict[str, Any], str, int, set[str]] | None = None
    for name, boundary in candidates:
        bounded = bound_case(case, boundary)
        payload = payload_for(config, bounded.request)
        redactions = sum(t.redacted for t in [bounded.question, *bounded.sources.values()])
        offered = {bounded.original_id(sent) for sent in bounded.sources}
        if first is None:
            first = (payload, name, redactions, offered)
        if key and cache_key(config, payload) == key:
            return payload, True, f"sent under {name}", redactions, offered
    assert first is not None
    payload, name, redactions, offered = first
    note = f"rebuilt under {name}; it does not match the hash recorded when the case was sent"
    return payload, False, note, redactions, offered
