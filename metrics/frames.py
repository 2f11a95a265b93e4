"""The frames of one run that every metric reads, as one value that can be narrowed to a slice,
and the public face of their column contracts: `pilot` and a new metric's file import the
contracts and `conform` from here, never from the private `metrics._frames`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from metrics._frames import (
    CALLS,
    CITATIONS,
    CLAIMS,
    EVIDENCE,
    RESULTS,
    SOURCES,
    Frame,
    collect,
    conform,
)

__all__ = [
    "CALLS",
    "CITATIONS",
    "CLAIMS",
    "EVIDENCE",
    "RESULTS",
    "SOURCES",
    "Frame",
    "RunFrames",
    "collect",
    "conform",
]


@dataclass(frozen=True)
class RunFrames:
    results: pl.DataFrame
    citations: pl.DataFrame
    claims: pl.DataFrame
    sources: pl.DataFrame
    evidence: pl.DataFrame
    calls: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=dict(CALLS)))

    def inputs(self) -> dict[str, Any]:
        """The frames as keyword arguments of `compute_all`, `count_all` and `per_tag`."""
        return {
            "results": self.results,
            "citations": self.citations,
            "claims": self.claims,
            "sources": self.sources,
            "evidence": self.evidence,
            "calls": self.calls,
        }

    def only_cases(self, case_ids: pl.Series) -> RunFrames:
        keep = pl.col("case_id").is_in(case_ids.implode())
        return RunFrames(*(f.filter(keep) for f in self.inputs().values()))

    def tagged(self, tag: str) -> RunFrames:
        ids = self.results.filter(pl.col("tags").list.contains(tag))["case_id"]
        return self.only_cases(ids)
