"""Domain records shared by the library, the CLI and the app.

Every record that is stored is hashed over a canonical JSON encoding (`content_hash`), so a
version id is the same wherever it is computed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the one encoding every hash is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    id: str
    title: str = ""
    text: str


class GoldenCase(Frozen):
    id: str
    question: str
    sources: tuple[Source, ...] = ()
    expected_answer: str | None = None
    answerable: bool = True
    evidence: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    consequential: bool = False


class Citation(Frozen):
    """A span of a case's source: `source.text[start:end] == cited_text` when the citation is
    valid. `claim` is the index of the answer sentence (claim) the citation supports."""

    source_id: str
    cited_text: str
    start: int
    end: int
    claim: int = 0


class SystemRequest(Frozen):
    """What leaves the data boundary for one case: allowlisted fields, redacted text."""

    case_id: str
    question: str
    sources: tuple[Source, ...] = ()
    fields: dict[str, Any] = Field(default_factory=dict)


class SystemOutput(Frozen):
    """One system answer. `claims` is the answer split into the statements it makes; each
    citation points at the claim it supports, so citation coverage can be computed."""

    answer: str
    abstained: bool = False
    claims: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    model: str | None = None
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


SystemKind = Literal["offline", "anthropic", "callable"]


class RetrievalSettings(Frozen):
    top_k: int = 3
    min_score: float = 1.0


class SystemConfig(Frozen):
    """A versioned description of the system under test; its hash is its version."""

    kind: SystemKind = "offline"
    model: str = "offline-bm25-v1"
    prompt_template: str = ""
    temperature: float = 0.0
    max_tokens: int = 1024
    retrieval: RetrievalSettings = RetrievalSettings()
    target: str | None = None  # "module:function" for kind == "callable"

    @property
    def version(self) -> str:
        return content_hash(self.model_dump(mode="json"))[:16]
