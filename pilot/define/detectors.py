"""Built-in detectors of personal data, each backed by the field's standard library.

Phones come from `phonenumbers` (Google's libphonenumber metadata) for the regions the boundary
names; IBANs, payment cards and national ids are candidates found by a simple pattern and kept
only when `python-stdnum` says their checksum holds, so order and policy numbers of the same
shape are left alone. A detector returns `(start, end)` spans in the text it was given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Spans = list[tuple[int, int]]
Detector = Callable[[str, Sequence[str]], Spans]

_GLUED = re.compile(r"[\w\-/.]")  # a character that makes a match part of a larger token


def _standalone(text: str, start: int, end: int) -> bool:
    """Not part of a longer token such as a policy number `PN-2024-118734` or a version."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if (
        before
        and _GLUED.match(before)
        and not (before == "." and start >= 2 and text[start - 2] == " ")
    ):
        return False
    # a sentence may end right after a number: "call 020 7946 0958."
    if after == "." and (end + 1 == len(text) or not text[end + 1].isalnum()):
        return True
    return not (after and _GLUED.match(after))


@dataclass(frozen=True)
class _Candidates:
    """The matches of `pattern` that stand alone and that `valid` accepts. A class rather than
    a closure: the detectors are built once, at import, and a closure's code would then be out
    of reach of mutation testing (mutmut switches a mutant on when its function is called)."""

    pattern: re.Pattern[str]
    valid: Callable[[str], bool]

    def __call__(self, text: str, regions: Sequence[str]) -> Spans:
        return [
            m.span()
            for m in self.pattern.finditer(text)
            if _standalone(text, *m.span()) and self.valid(m.group())
        ]


@dataclass(frozen=True)
class _Stdnum:
    """A python-stdnum module's checksum (`us.ssn`, `gb.nhs`, ...), imported on first use."""

    module: str

    def __call__(self, value: str) -> bool:
        import importlib

        return bool(importlib.import_module(f"stdnum.{self.module}").is_valid(value))


def _card_ok(value: str) -> bool:
    from stdnum import luhn

    digits = re.sub(r"\D", "", value)
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits)


def _iban(text: str, regions: Sequence[str]) -> Spans:
    """IBANs written compact or in groups of four; the longest prefix that validates wins, so a
    word after the number is never swallowed."""
    from stdnum import iban

    spans: Spans = []
    for match in _IBAN.finditer(text):
        start = match.start()
        # group ends: every position after an alphanumeric run
        ends = [m.end() + start for m in re.finditer(r"[A-Za-z0-9]+", match.group())]
        for end in reversed(ends):
            if _standalone(text, start, end) and iban.is_valid(text[start:end]):
                spans.append((start, end))
                break
    return spans


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
)
# compact, in fours (4-4-4-4, 4-4-4-4-3) or as Amex and Diners print them (4-6-5, 4-6-4)
_CARD = re.compile(
    r"\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5}"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b")
# a UK National Insurance number has no checksum: any two letters, since examples such as
# QQ 12 34 56 C and mistyped numbers are personal data too
_NINO = re.compile(r"(?i)\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
_SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
_NHS = re.compile(r"\b\d{3}[ -]\d{3}[ -]\d{4}\b")
_ES_ID = re.compile(r"(?i)\b[XYZ]?-?\d{7,8}-?[A-Z]\b")
_FR_NIR = re.compile(r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b")


def _email(text: str, regions: Sequence[str]) -> Spans:
    return [m.span() for m in _EMAIL.finditer(text)]


def _es_id(value: str) -> bool:
    from stdnum.es import dni, nie

    return bool(dni.is_valid(value) or nie.is_valid(value))


_PHONE_SHAPE = re.compile(r"^(?:\+|\(0|0[1-9])[\d ()\-.]*$")


_PHONE_WINDOW = re.compile(r"\+?\(?\d[\d ().\-]{5,}\d")


def _phone(text: str, regions: Sequence[str]) -> Spans:
    """Numbers libphonenumber finds valid in any of `regions`, plus numbers it finds possible
    that are written as a dialled national number (0 then a separator, like 07700 900456):
    the reserved drama ranges and new allocations a metadata release does not know yet.

    The matcher runs only over windows that could hold a phone number (7 digits or more with
    phone separators), which keeps it from parsing every date and amount of a long source.
    libphonenumber is imported only when a text has such a window (~0.05 s on a run's start)."""
    spans: set[tuple[int, int]] = set()
    for window in _PHONE_WINDOW.finditer(text):
        if sum(ch.isdigit() for ch in window.group()) < 7:
            continue
        import phonenumbers
        from phonenumbers import Leniency, PhoneNumberMatcher

        offset = window.start()
        for region in regions:
            for match in PhoneNumberMatcher(window.group(), region, leniency=Leniency.POSSIBLE):
                raw, start, end = match.raw_string, offset + match.start, offset + match.end
                if raw.startswith("(") and ")" not in raw:  # "(07700 900456)": not its own
                    raw, start = raw[1:], start + 1
                valid = phonenumbers.is_valid_number(match.number)
                if not valid and not (
                    _PHONE_SHAPE.match(raw) and sum(ch.isdigit() for ch in raw) >= 10
                ):
                    continue
                if _standalone(text, start, end):
                    spans.add((start, end))
    return sorted(spans)


DETECTORS: dict[str, tuple[Detector, str]] = {
    "email": (_email, "[EMAIL]"),
    "iban": (_iban, "[IBAN]"),
    "payment_card": (_Candidates(_CARD, _card_ok), "[CARD]"),
    "us_ssn": (_Candidates(_SSN, _Stdnum("us.ssn")), "[SSN]"),
    "uk_nino": (_Candidates(_NINO, lambda _: True), "[NI NUMBER]"),
    "uk_nhs": (_Candidates(_NHS, _Stdnum("gb.nhs")), "[NHS NUMBER]"),
    "es_dni_nie": (_Candidates(_ES_ID, _es_id), "[ID NUMBER]"),
    "fr_nir": (_Candidates(_FR_NIR, _Stdnum("fr.nir")), "[ID NUMBER]"),
    "phone": (_phone, "[PHONE]"),
}
"""Detector name -> (find spans, default replacement). Order matters where matches overlap:
an IBAN or a card is not also a phone number."""

# The fewest digits any match of a detector holds, read off its pattern (a national id's
# fixed groups; a phone window's 7; an IBAN's 2 check digits). A text with fewer digits is not
# searched: most questions have none of these numbers, and detection is the costly part of
# preparing a case (issue #14). Any smaller bound would be as correct, only slower. E-mail has
# no digit bound: `may_hold` asks for an "@" instead.
MIN_DIGITS: dict[str, int] = {
    "iban": 2,
    "payment_card": 13,  # 13 to 19 compact; grouped 4-6-4 (14) or more
    "us_ssn": 9,
    "uk_nino": 6,
    "uk_nhs": 10,
    "es_dni_nie": 7,
    "fr_nir": 14,  # 13 digits and a key of 2; Corsica's department is "2A" or "2B"
    "phone": 7,
}


def may_hold(detector: str, text: str, digits: int) -> bool:
    """Whether `text`, which has `digits` digits (`str.isdigit`, a superset of what `\\d`
    matches), could hold a match of `detector`: an e-mail address needs an "@"."""
    if detector == "email":
        return "@" in text
    return digits >= MIN_DIGITS[detector]


def known_regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


# --- restricted terms ------------------------------------------------------------------------

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_AMOUNT = (
    rf"(?:[£$€]\s?{_NUMBER}(?:\s?[kKmM]\b)?"
    rf"|{_NUMBER}\s?(?:[kK]\b|GBP\b|USD\b|EUR\b|pounds\b|dollars\b|euros\b))"
)

VOCABULARY: dict[str, tuple[str, ...]] = {
    # a pay word, with the amount that follows it within a few words
    "salary": (
        r"(?i)\b(?:salary|salaries|wages?|earn(?:s|ing|ings)?|income|pay rise|payslip)\b"
        rf"(?:[^.;\n]{{0,30}}?{_AMOUNT})?",
        rf"(?i)\b(?:paid|pay me|make)\s+{_AMOUNT}\s*(?:a|per|each)\s+(?:year|month|week|hour)\b",
    ),
    # named conditions and treatments: the words an employee uses about their own health,
    # not policy words ("health cover", "sick pay", "maternity") that every benefits text has
    "health": (
        r"(?i)\b(?:diabet(?:es|ic)|cancer|tumou?r|chemotherapy|HIV|AIDS|hepatitis|epilep(?:sy|tic)"
        r"|asthma(?:tic)?|dementia|alzheimer'?s|parkinson'?s|multiple sclerosis|depression"
        r"|depressed|bipolar|schizophreni[ac]|anxiety disorder|PTSD|ADHD|autis(?:m|tic)"
        r"|miscarriage|pregnant|IVF|HIV-positive|stroke|heart attack|diagnosed with"
        r"|on (?:medication|antidepressants|insulin))\b",
    ),
}
"""Built-in patterns for categories a boundary may list as never leaving (trusted, reviewed
here; a data owner's own terms are matched literally)."""


def term_patterns(category: str, terms: Iterable[str]) -> list[str]:
    """The RE2 patterns enforcing one restricted category: its built-in vocabulary, if any, and
    the owner's own terms as whole words, case-insensitively."""
    patterns = list(VOCABULARY.get(category, ()))
    words = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if words:
        alternatives = "|".join(re.escape(w) for w in words)
        patterns.append(rf"(?i)(?:^|\b){'(?:' + alternatives + ')'}(?:\b|$)")
    return patterns
