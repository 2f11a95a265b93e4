"""Redaction at the data boundary, with a map from redacted offsets back to the original.

A system cites offsets into the text it was sent. When that text was redacted, those offsets
must be mapped back before they can be checked against the original source, so `redact` returns
the redacted text together with the spans it replaced.

Rules are applied to the original text, not one after another: each rule finds its matches in
the original, earlier rules win where matches overlap, and replacements are literal strings.
That keeps the offset map a single list of spans and makes the result independent of how one
replacement might create or break another rule's match.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from pilot.core.models import Citation, Frozen, GoldenCase, Source, SystemRequest

if TYPE_CHECKING:
    from pilot.define.workflow import DataBoundary

Check = Literal["luhn"]

# Fields of a case a boundary may never allowlist: they are what the system is graded against.
GRADING_FIELDS = frozenset({"expected_answer", "evidence", "answerable"})


class RedactionRule(Frozen):
    """One pattern to replace before text leaves. `check` adds a test a regex cannot express
    (a payment card number must pass the Luhn check, so order numbers are left alone)."""

    name: str = Field(min_length=1)
    pattern: str = Field(min_length=1)
    replacement: str = "[REDACTED]"
    check: Check | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


DEFAULT_RULES: tuple[RedactionRule, ...] = (
    RedactionRule(
        name="email",
        pattern=r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
        replacement="[EMAIL]",
    ),
    RedactionRule(
        name="payment card",
        pattern=r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])",
        replacement="[CARD]",
        check="luhn",
    ),
    RedactionRule(
        name="UK National Insurance number",
        # any two letters, not only the prefixes HMRC issues: examples such as QQ 12 34 56 C
        # and mistyped numbers are personal data too
        pattern=r"(?i)\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
        replacement="[NI NUMBER]",
    ),
    RedactionRule(
        name="US social security number",
        pattern=r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])",
        replacement="[SSN]",
    ),
    RedactionRule(
        name="phone number",
        pattern=(
            # international: +CC, optional (0), then groups of digits
            r"(?<![\w+])\+\d{1,3}[ -]?(?:\(0\)[ -]?)?\d{1,4}(?:[ -]?\d{2,4}){2,4}(?!\w)"
            # UK, 11 digits: 07700 900456, 0161 496 0000, 020 7946 0958
            r"|(?<![\w+])(?:0\d{4}[ -]?\d{3}[ -]?\d{3}|0\d{3}[ -]?\d{3}[ -]?\d{4}"
            r"|0\d{2}[ -]?\d{4}[ -]?\d{4})(?![\w-])"
            # UK, 10 digits, only with a space or dash (01632 96000): bare 10 digits are too
            # often order numbers
            r"|(?<![\w+])0\d{4}[ -]\d{5}(?![\w-])"
        ),
        replacement="[PHONE]",
    ),
)


def luhn_ok(text: str) -> bool:
    """The Luhn checksum over the digits of `text` (separators ignored)."""
    digits = [int(ch) for ch in text if ch.isdigit()]
    if not digits:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


CHECKS = {"luhn": luhn_ok}


@dataclass(frozen=True)
class Span:
    """`text[start:end]` of the redacted text replaced `original[orig_start:orig_end]`."""

    start: int
    end: int
    orig_start: int
    orig_end: int
    rule: str


@dataclass(frozen=True)
class RedactedText:
    text: str
    spans: tuple[Span, ...] = ()

    def to_original(self, offset: int, *, end: bool = False) -> int:
        """The original offset for a redacted-text offset. Inside a replacement, a start offset
        maps to the start of what it replaced and an end offset (`end=True`) to its end."""
        starts = [s.start for s in self.spans]
        index = (bisect.bisect_left if end else bisect.bisect_right)(starts, offset) - 1
        if index < 0:
            return offset
        span = self.spans[index]
        if offset < span.end or (end and offset <= span.end):
            return span.orig_end if end else span.orig_start
        return span.orig_end + (offset - span.end)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """A redacted-text range as an original range, widened to cover any replacement it
        touches, so a citation of "[EMAIL]" becomes a citation of the address it hid."""
        orig_start = self.to_original(start)
        return orig_start, max(orig_start, self.to_original(end, end=True))

    @property
    def redacted(self) -> bool:
        return bool(self.spans)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def find_matches(text: str, rules: Iterable[RedactionRule]) -> list[tuple[int, int, RedactionRule]]:
    """Non-overlapping matches in original offsets, earlier rules first where they overlap."""
    taken: list[tuple[int, int, RedactionRule]] = []
    for rule in rules:
        check = CHECKS[rule.check] if rule.check else None
        for match in _compiled(rule.pattern).finditer(text):
            start, end = match.span()
            if start == end or (check and not check(match.group())):
                continue
            if any(start < t_end and t_start < end for t_start, t_end, _ in taken):
                continue
            taken.append((start, end, rule))
    taken.sort(key=lambda item: item[0])
    return taken


def redact(text: str, rules: Sequence[RedactionRule] = DEFAULT_RULES) -> RedactedText:
    """Replace every match of `rules` in `text`; the spans map the result back to `text`."""
    parts: list[str] = []
    spans: list[Span] = []
    cursor = 0
    out_len = 0
    for start, end, rule in find_matches(text, rules):
        parts.append(text[cursor:start])
        out_len += start - cursor
        parts.append(rule.replacement)
        spans.append(Span(out_len, out_len + len(rule.replacement), start, end, rule.name))
        out_len += len(rule.replacement)
        cursor = end
    parts.append(text[cursor:])
    return RedactedText("".join(parts), tuple(spans))


@dataclass(frozen=True)
class BoundedCase:
    """What left the boundary for one case, and how to map the system's citations back."""

    request: SystemRequest
    question: RedactedText
    sources: dict[str, RedactedText]

    def citation_to_original(self, citation: Citation, case: GoldenCase) -> Citation:
        """A citation into a redacted source as a citation into the original source text.
        `cited_text` is re-read from the original, so `text[start:end] == cited_text` holds."""
        mapped = self.sources.get(citation.source_id)
        original = next((s for s in case.sources if s.id == citation.source_id), None)
        if mapped is None or original is None:
            return citation
        start, end = mapped.span_to_original(citation.start, citation.end)
        return citation.model_copy(
            update={"start": start, "end": end, "cited_text": original.text[start:end]}
        )


def bound_case(case: GoldenCase, boundary: DataBoundary) -> BoundedCase:
    """Apply the boundary to one case: only allowlisted fields, only readable sources, and
    question and source texts redacted. The case id always travels, as the request's key."""
    allowed = set(boundary.allowed_fields) - set(boundary.restricted_fields) - GRADING_FIELDS
    rules = boundary.redaction_rules
    question = redact(case.question, rules) if "question" in allowed else RedactedText("")
    sources: dict[str, RedactedText] = {}
    kept: list[Source] = []
    if "sources" in allowed:
        for source in case.sources:
            if not boundary.may_read(source.id):
                continue
            body = redact(source.text, rules)
            sources[source.id] = body
            kept.append(
                Source(id=source.id, title=redact(source.title, rules).text, text=body.text)
            )
    fields = {
        name: getattr(case, name)
        for name in sorted(allowed - {"question", "sources", "id"})
        if name in type(case).model_fields
    }
    request = SystemRequest(
        case_id=case.id, question=question.text, sources=tuple(kept), fields=fields
    )
    return BoundedCase(request, question, sources)


def apply_boundary(case: GoldenCase, boundary: DataBoundary) -> SystemRequest:
    """The request that may leave for `case`; use `bound_case` to also map citations back."""
    return bound_case(case, boundary).request
