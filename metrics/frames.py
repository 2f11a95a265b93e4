"""The frames of one run that every metric reads, as one value that can be narrowed to a slice."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class RunFrames:
    results: pl.DataFrame
    citations: pl.DataFrame
    claims: pl.DataFrame
    sources: pl.DataFrame
    evidence: pl.DataFrame

    def only_cases(self, case_ids: pl.Series) -> RunFrames:
        keep = pl.col("case_id").is_in(case_ids.implode())
        return RunFrames(
            *(
                f.filter(keep)
                for f in (self.results, self.citations, self.claims, self.sources, self.evidence)
            )
        )

    def tagged(self, tag: str) -> RunFrames:
        ids = self.results.filter(pl.col("tags").list.contains(tag))["case_id"]
        return self.only_cases(ids)
