"""A version's cases as people read them: counts, a tag filter, table rows, where evidence
sits in its sources, and what changed between two versions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import duckdb

from pilot.core.inert import highlight_html
from pilot.core.models import GoldenCase, Source
from pilot.goldensets.io import FIELDS
from pilot.goldensets.stored import load_cases


@dataclass(frozen=True)
class CaseChange:
    case_id: str
    fields: list[str]


@dataclass(frozen=True)
class VersionDiff:
    a: str
    b: str
    added: list[str]
    removed: list[str]
    changed: list[CaseChange]
    unchanged: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "added": self.added,
            "removed": self.removed,
            "changed": [{"case_id": c.case_id, "fields": c.fields} for c in self.changed],
            "unchanged": self.unchanged,
        }

    def rows(self) -> list[dict[str, str]]:
        """One row per case that differs, for a table."""
        return (
            [{"case": c, "change": "added", "fields": ""} for c in self.added]
            + [{"case": c, "change": "removed", "fields": ""} for c in self.removed]
            + [
                {"case": c.case_id, "change": "changed", "fields": ", ".join(c.fields)}
                for c in self.changed
            ]
        )


def summarize(cases: list[GoldenCase]) -> dict[str, Any]:
    """Counts the page, the CLI and the report show for a version (or a filtered slice)."""
    n = len(cases)
    unanswerable = sum(not c.answerable for c in cases)
    tags = Counter(tag for c in cases for tag in c.tags)
    return {
        "n_cases": n,
        "n_unanswerable": unanswerable,
        "unanswerable_share": unanswerable / n if n else 0.0,
        "n_consequential": sum(c.consequential for c in cases),
        "n_with_evidence": sum(bool(c.evidence) for c in cases),
        "tags": dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def filter_by_tags(cases: list[GoldenCase], tags: list[str]) -> list[GoldenCase]:
    """Cases carrying every one of `tags` (all cases when none is given)."""
    wanted = set(tags)
    return [c for c in cases if wanted <= set(c.tags)]


def case_rows(cases: list[GoldenCase]) -> list[dict[str, Any]]:
    """One flat row per case, for tables."""
    return [
        {
            "id": c.id,
            "question": c.question,
            "answerable": c.answerable,
            "expected_answer": c.expected_answer,
            "tags": ", ".join(c.tags),
            "consequential": c.consequential,
            "evidence": len(c.evidence),
            "sources": len(c.sources),
        }
        for c in cases
    ]


def diff_versions(con: duckdb.DuckDBPyConnection, a: str, b: str) -> VersionDiff:
    """What changed from version `a` to version `b`, case by case and field by field."""
    old = {c.id: c.model_dump(mode="json") for c in load_cases(con, a)}
    new = {c.id: c.model_dump(mode="json") for c in load_cases(con, b)}
    changed = []
    for case_id in sorted(old.keys() & new.keys()):
        fields = [f for f in FIELDS if f != "id" and old[case_id][f] != new[case_id][f]]
        if fields:
            changed.append(CaseChange(case_id, fields))
    return VersionDiff(
        a,
        b,
        added=sorted(new.keys() - old.keys()),
        removed=sorted(old.keys() - new.keys()),
        changed=changed,
        unchanged=len(old.keys() & new.keys()) - len(changed),
    )


def evidence_spans(case: GoldenCase) -> list[tuple[str, int, int]]:
    """Every occurrence of every evidence passage: (source_id, start, end) into source.text."""
    spans = []
    for source in case.sources:
        for passage in case.evidence:
            start = source.text.find(passage)
            while start != -1:
                spans.append((source.id, start, start + len(passage)))
                start = source.text.find(passage, start + 1)
    return sorted(set(spans), key=lambda s: (s[0], s[1], s[2]))


def highlighted_sources(
    case: GoldenCase, *, context: int | None = None
) -> list[tuple[Source, str, int]]:
    """Each source of the case as inert HTML with its evidence marked, and the mark count."""
    spans = evidence_spans(case)
    shown = []
    for source in case.sources:
        mine = [(start, end) for sid, start, end in spans if sid == source.id]
        shown.append((source, highlight_html(source.text, mine, context=context), len(mine)))
    return shown
