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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from pilot.core.models import Citation, Frozen, GoldenCase, Source, SystemRequest
from pilot.define.detectors import DETECTORS, may_hold, term_patterns
from pilot.define.legacy_rules import LEGACY_PATTERNS
from pilot.define.patterns import check_pattern, compile_pattern

if TYPE_CHECKING:
    from pilot.define.workflow import DataBoundary

Check = Literal["luhn"]
DetectorName = Literal[
    "email", "iban", "payment_card", "us_ssn", "uk_nino", "uk_nhs", "es_dni_nie", "fr_nir", "phone"
]

# Fields of a case a boundary may never allowlist: they are what the system is graded against.
GRADING_FIELDS = frozenset({"expected_answer", "evidence", "answerable"})

DEFAULT_REGIONS: tuple[str, ...] = ("GB", "US")


class RedactionRule(Frozen):
    """One thing to replace before text leaves: a built-in `detector` (phones, IBANs, cards,
    national ids, checked by their libraries) or the data owner's own `pattern`, which runs on
    RE2 and is checked when saved (see `pilot.define.patterns`). `check="luhn"` keeps only
    pattern matches that pass the Luhn checksum."""

    name: str = Field(min_length=1)
    pattern: str | None = None
    detector: DetectorName | None = None
    replacement: str = "[REDACTED]"
    check: Check | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """A rule stored before the built-in detectors existed is that detector now."""
        pattern = data.get("pattern") if isinstance(data, dict) else None
        if isinstance(pattern, str) and pattern in LEGACY_PATTERNS:
            detector = LEGACY_PATTERNS[data["pattern"]]
            data = {k: v for k, v in data.items() if k not in ("pattern", "check")}
            data["detector"] = detector
        return data

    @field_validator("pattern")
    @classmethod
    def _safe(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return check_pattern(value)

    @model_validator(mode="after")
    def _one_kind(self) -> RedactionRule:
        if (self.pattern is None) == (self.detector is None):
            raise ValueError(
                f"rule {self.name!r}: give either a pattern (a regular expression) or a built-in "
                "detector, not both and not neither"
            )
        return self


DEFAULT_RULES: tuple[RedactionRule, ...] = tuple(
    RedactionRule(name=name, detector=detector, replacement=DETECTORS[detector][1])
    for name, detector in (
        ("email", "email"),
        ("IBAN", "iban"),
        ("payment card", "payment_card"),
        ("US social security number", "us_ssn"),
        ("UK National Insurance number", "uk_nino"),
        ("UK NHS number", "uk_nhs"),
        ("Spanish DNI or NIE", "es_dni_nie"),
        ("French NIR", "fr_nir"),
        ("phone number", "phone"),
    )
)


def luhn_ok(text: str) -> bool:
    """The Luhn checksum over the digits of `text` (separators ignored)."""
    from stdnum import luhn

    digits = "".join(ch for ch in text if ch.isdigit())
    return bool(digits) and luhn.is_valid(digits)


CHECKS = {"luhn": luhn_ok}


@dataclass(frozen=True)
class Redactor:
    """Everything that redacts one boundary's outbound text: its rules in order, the phone
    regions, then each restricted category's terms (replaced by `[SALARY]`, `[HEALTH]` …)."""

    rules: tuple[RedactionRule, ...] = DEFAULT_RULES
    regions: tuple[str, ...] = DEFAULT_REGIONS
    restricted: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # text -> its redaction by this redactor: a run sends the same source text with many
    # questions, and detection is the costly part of preparing a case (issue #14).
    memo: dict[str, RedactedText] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def matches(self, text: str) -> list[tuple[int, int, str, str]]:
        """Non-overlapping `(start, end, rule name, replacement)` in original offsets; earlier
        rules win where matches overlap, restricted terms last."""
        found: list[tuple[int, int, str, str]] = []
        digits = sum(map(str.isdigit, text))
        for rule in self.rules:
            if rule.detector is not None:
                if not may_hold(rule.detector, text, digits):
                    continue
                spans = DETECTORS[rule.detector][0](text, self.regions)
            else:
                check = CHECKS[rule.check] if rule.check else None
                spans = [
                    m.span()
                    for m in compile_pattern(str(rule.pattern)).finditer(text)
                    if not (check and not check(m.group()))
                ]
            found.extend((a, b, rule.name, rule.replacement) for a, b in spans)
        for category, patterns in self.restricted:
            label = f"restricted: {category}"
            token = "[" + category.upper() + "]"
            for pattern in patterns:
                found.extend(
                    (*m.span(), label, token) for m in compile_pattern(pattern).finditer(text)
                )
        taken: list[tuple[int, int, str, str]] = []
        for start, end, name, replacement in found:
            if start == end or any(start < t[1] and t[0] < end for t in taken):
                continue
            taken.append((start, end, name, replacement))
        taken.sort(key=lambda item: item[0])
        return taken


DEFAULT_REDACTOR = Redactor()


def redactor_for(boundary: DataBoundary) -> Redactor:
    """The redactor a boundary's rules, regions and restricted categories make."""
    categories = dict.fromkeys([*boundary.restricted_fields, *boundary.restricted_terms])
    return Redactor(
        rules=boundary.redaction_rules,
        regions=boundary.phone_regions,
        restricted=tuple(
            (c, tuple(term_patterns(c, boundary.restricted_terms.get(c, ())))) for c in categories
        ),
    )


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


def redact(text: str, rules: Redactor | Sequence[RedactionRule] = DEFAULT_REDACTOR) -> RedactedText:
    """Replace everything `rules` finds in `text`; the spans map the result back to `text`."""
    redactor = rules if isinstance(rules, Redactor) else Redactor(rules=tuple(rules))
    found = redactor.memo.get(text)
    if found is None:
        if len(redactor.memo) >= MEMO_SIZE:
            redactor.memo.clear()
        found = redactor.memo[text] = _redact(text, redactor)
    return found


MEMO_SIZE = 4096


def _redact(text: str, redactor: Redactor) -> RedactedText:
    parts: list[str] = []
    spans: list[Span] = []
    cursor = 0
    out_len = 0
    for start, end, name, replacement in redactor.matches(text):
        parts.append(text[cursor:start])
        out_len += start - cursor
        parts.append(replacement)
        spans.append(Span(out_len, out_len + len(replacement), start, end, name))
        out_len += len(replacement)
        cursor = end
    parts.append(text[cursor:])
    return RedactedText("".join(parts), tuple(spans))


@dataclass(frozen=True)
class BoundedCase:
    """What left the boundary for one case, and how to map the system's citations back.
    `sources` is keyed by the id that was sent; `source_ids` maps a sent id to the original."""

    request: SystemRequest
    question: RedactedText
    sources: dict[str, RedactedText]
    source_ids: dict[str, str] = field(default_factory=dict)

    def original_id(self, sent_id: str) -> str:
        return self.source_ids.get(sent_id, sent_id)

    def citation_to_original(self, citation: Citation, case: GoldenCase) -> Citation:
        """A citation into a redacted source as a citation into the original source text.
        `cited_text` is re-read from the original, so `text[start:end] == cited_text` holds."""
        mapped = self.sources.get(citation.source_id)
        original_id = self.original_id(citation.source_id)
        original = next((s for s in case.sources if s.id == original_id), None)
        if mapped is None or original is None:
            return citation
        start, end = mapped.span_to_original(citation.start, citation.end)
        return citation.model_copy(
            update={
                "source_id": original_id,
                "start": start,
                "end": end,
                "cited_text": original.text[start:end],
            }
        )


def _redact_value(value: Any, redactor: Redactor) -> Any:
    """Any allowlisted field's value with every string in it redacted (tags are a tuple)."""
    if isinstance(value, str):
        return redact(value, redactor).text
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v, redactor) for v in value)
    if isinstance(value, dict):
        return {k: _redact_value(v, redactor) for k, v in value.items()}
    return value


_ID_SEPARATORS = re.compile(r"[-_/.:]")
ID_MAX_DIGITS = 6


def id_hides_data(source_id: str, redactor: Redactor) -> bool:
    """Whether an id built from parts may carry personal data ("hr-case-AB123456C",
    "case-123-45-6789"): a part that is personal data on its own, or 7 or more digits in all
    (room for a phone, card, account or national number). In free text a number glued to other
    characters is left alone (a policy number is not a phone), but an id is short and sending
    "source-N" instead costs nothing. Found by the recorded leak check."""
    if not (redactor.rules or redactor.restricted):
        return False  # a boundary that redacts nothing
    if sum(ch.isdigit() for ch in source_id) > ID_MAX_DIGITS:
        return True
    return bool(redact(_ID_SEPARATORS.sub(" ", source_id), redactor).spans)


def bound_case(
    case: GoldenCase, boundary: DataBoundary, redactor: Redactor | None = None
) -> BoundedCase:
    """Apply the boundary to one case: only allowlisted fields, only readable sources, and every
    outbound string redacted: the question, each field's strings (tags), each source's id,
    title and text. A source id that redaction changes is sent as "source-N" (and mapped back);
    a missing title is sent as "Source N", never as the id. The case id always travels, as the
    request's key: it is the golden set's own label, not free text about a person."""
    allowed = set(boundary.allowed_fields) - set(boundary.restricted_fields) - GRADING_FIELDS
    redactor = redactor or redactor_for(boundary)
    question = redact(case.question, redactor) if "question" in allowed else RedactedText("")
    sources: dict[str, RedactedText] = {}
    source_ids: dict[str, str] = {}
    kept: list[Source] = []
    if "sources" in allowed:
        for source in case.sources:
            if not boundary.may_read(source.id):
                continue
            number = len(kept) + 1
            sent_id = redact(source.id, redactor).text
            if sent_id != source.id or id_hides_data(source.id, redactor) or sent_id in sources:
                sent_id = f"source-{number}"
            title = redact(source.title, redactor).text.strip() or f"Source {number}"
            body = redact(source.text, redactor)
            sources[sent_id] = body
            source_ids[sent_id] = source.id
            kept.append(Source(id=sent_id, title=title, text=body.text))
    fields = {
        name: _redact_value(getattr(case, name), redactor)
        for name in sorted(allowed - {"question", "sources", "id"})
        if name in type(case).model_fields
    }
    request = SystemRequest(
        case_id=case.id, question=question.text, sources=tuple(kept), fields=fields
    )
    return BoundedCase(request, question, sources, source_ids)


def apply_boundary(case: GoldenCase, boundary: DataBoundary) -> SystemRequest:
    """The request that may leave for `case`; use `bound_case` to also map citations back."""
    return bound_case(case, boundary).request
