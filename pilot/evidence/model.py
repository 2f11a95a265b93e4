"""The evidence as one typed, JSON-serialisable structure: figures, each with its provenance.

A figure is anything the report states that the database can vouch for: a metric's value with
its interval and n, a criterion's pass or fail, a signature, who agreed a golden set, a gate's
status. Its `key` is stable (the same figure has the same key in every regeneration), so replay
can name exactly which one differs. The canonical JSON (sorted keys, no spaces, `/` written as
`\\/` so no URL text appears) is what the SHA-256 and the pilot key's HMAC cover.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FORMAT = "pilot-evidence/2"
"""The evidence's format, and with it how its figures are worded: raised whenever a label or
note reads differently (2: criteria, metric names and times in words), so a replay can tell a
report an earlier kit worded from one whose figures changed (`report.replay`)."""
WORDING = ("label", "note")
"""A figure's words; every other field is a fact a replay must recompute exactly."""
SECTIONS = {
    "summary": "Summary",
    "workflow": "Workflow, owners and data boundary",
    "bar": "The signed acceptance bar",
    "goldenset": "Golden sets",
    "run": "Run of record",
    "regression": "Regression history",
    "live": "Live review",
    "readiness": "Readiness: scorecard and ladder",
    "decisions": "Promotions, approvals, kill-switch drills and rollbacks",
    "audit": "Audit verification",
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provenance(Frozen):
    """Where a figure comes from: the owner function that computed it and the records it read."""

    source: str
    run_id: str | None = None
    goldenset_version: str | None = None
    bar_version: int | None = None
    bar_hash: str | None = None
    config_version: str | None = None
    window: str | None = None
    audit_through: int | None = None


class Figure(Frozen):
    key: str
    section: str
    label: str
    value: Any = None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    threshold: float | None = None
    status: str | None = None  # pass | fail | met | not met | at risk
    unit: str | None = None  # percent | ms | usd (the metric's registered unit)
    note: str = ""
    provenance: Provenance


class Scope(Frozen):
    """What the report covers and the moment it speaks for; replay recomputes within it."""

    generated_at: str
    generated_by: str
    runs: tuple[str, ...] = ()
    windows: tuple[str, ...] | None = None  # None: every live window
    audit_through: int = 0


class Summary(Frozen):
    ready: bool
    stage: int
    stage_name: str
    for_stage: int | None
    for_stage_name: str | None
    headline: str
    reasons: tuple[str, ...] = ()
    at_risk: bool = False


class Evidence(Frozen):
    format: str = FORMAT
    scope: Scope
    summary: Summary
    figures: tuple[Figure, ...] = Field(default_factory=tuple)
    tables: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    limitations: tuple[str, ...] = ()

    def by_key(self) -> dict[str, Figure]:
        return {f.key: f for f in self.figures}

    def section(self, name: str) -> list[Figure]:
        return [f for f in self.figures if f.section == name]


def clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, tuples lists, keys strings."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def canonical(evidence: Evidence) -> str:
    """Sorted keys, no spaces, `/` escaped (valid JSON, and no `</script>` or `://` in it)."""
    text = json.dumps(
        clean(evidence.model_dump(mode="json")),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )
    return text.replace("/", "\\/").replace("<", "\\u003c").replace(">", "\\u003e")


def digest(evidence: Evidence) -> str:
    return hashlib.sha256(canonical(evidence).encode("ascii")).hexdigest()


def parse(text: str) -> Evidence:
    return Evidence.model_validate(json.loads(text))
