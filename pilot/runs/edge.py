"""The data boundary at the edge: what exactly leaves for one case, and the way back.

`Edge.prepare` turns a golden case into the `SystemRequest` that may leave (allowlisted fields,
readable sources, redacted text, via `pilot.define.redaction.bound_case`), the exact payload used for
the response-cache key, and a `remap` that moves citation offsets from the redacted text back
into the original source text, so `source.text[start:end] == cited_text` is checked against the
golden set's own sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import duckdb

from pilot.core.models import Citation, GoldenCase, SystemConfig, SystemOutput, SystemRequest
from pilot.define.redaction import BoundedCase, Redactor, bound_case, redactor_for
from pilot.define.workflow import DataBoundary, current_workflow
from pilot.runs.systems import registry

Remap = Callable[[SystemOutput], SystemOutput]


@dataclass(frozen=True)
class Edge:
    boundary: DataBoundary = DataBoundary()

    @cached_property
    def redactor(self) -> Redactor:
        """Built once per run, so its memo of redacted texts serves every case."""
        return redactor_for(self.boundary)

    def prepare(
        self, case: GoldenCase, config: SystemConfig
    ) -> tuple[SystemRequest, dict[str, Any], Remap]:
        bounded = bound_case(case, self.boundary, self.redactor)

        def remap(output: SystemOutput) -> SystemOutput:
            moved = tuple(_back(c, bounded, case) for c in output.citations)
            return output.model_copy(update={"citations": moved})

        return bounded.request, payload_for(config, bounded.request), remap


def _back(citation: Citation, bounded: BoundedCase, case: GoldenCase) -> Citation:
    """A citation that was valid in the redacted text it was given maps to the same span of the
    original; an invalid one keeps its claimed text, so it stays invalid (no laundering)."""
    sent = bounded.sources.get(citation.source_id)
    if sent is None:
        return citation
    if sent.text[citation.start : citation.end] != citation.cited_text:
        start, end = sent.span_to_original(citation.start, citation.end)
        original_id = bounded.original_id(citation.source_id)
        return citation.model_copy(update={"source_id": original_id, "start": start, "end": end})
    return bounded.citation_to_original(citation, case)


def payload_for(config: SystemConfig, request: SystemRequest) -> dict[str, Any]:
    """The exact content sent: the Messages API body for Claude, the request otherwise."""
    return registry.payload_for(config, request)


def load_edge(con: duckdb.DuckDBPyConnection) -> Edge:
    """The edge for the current data boundary (none recorded yet: the default boundary)."""
    current = current_workflow(con)
    return Edge(current.boundary) if current else Edge()
