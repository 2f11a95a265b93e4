"""The default redaction patterns stored by boundaries saved before the built-in detectors.

They used lookbehind, which RE2 does not run; a stored rule with one of these exact patterns is
read as the library-backed detector that replaced it (see `RedactionRule`)."""

from __future__ import annotations

LEGACY_PATTERNS: dict[str, str] = {
    "(?<![\\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}\\b": "email",
    "(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])": "payment_card",
    "(?i)\\b[A-Z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b": "uk_nino",
    "(?<![\\d-])(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}(?![\\d-])": "us_ssn",
    "(?<![\\w+])\\+\\d{1,3}[ -]?(?:\\(0\\)[ -]?)?\\d{1,4}(?:[ -]?\\d{2,4}){2,4}(?!\\w)|(?<![\\w+])(?:0\\d{4}[ -]?\\d{3}[ -]?\\d{3}|0\\d{3}[ -]?\\d{3}[ -]?\\d{4}|0\\d{2}[ -]?\\d{4}[ -]?\\d{4})(?![\\w-])|(?<![\\w+])0\\d{4}[ -]\\d{5}(?![\\w-])": "phone",
}
