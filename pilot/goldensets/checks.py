"""One golden case checked: its types by pydantic (`CaseRecord`, strict), then the rules that
tie its fields together (ids, the answerable/expected-answer pair, evidence found verbatim in a
source, tags). Every problem names its line and field (`sources[1].id`, `evidence[0]`) in words
a person fixing the file can act on; pydantic's errors are translated into those words here.
"""

from __future__ import annotations

import json
from sys import intern
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pilot.core.models import GoldenCase, Source

FIELDS = (
    "id",
    "question",
    "sources",
    "expected_answer",
    "answerable",
    "evidence",
    "tags",
    "consequential",
)
SOURCE_FIELDS = ("id", "title", "text")
_CASE_FIELDS = frozenset(GoldenCase.model_fields)
_SOURCE_FIELDS = frozenset(Source.model_fields)
INVALID = object()  # a cell already reported as unreadable; the case checks skip it

# (line, field, message) for an error; the caller adds the file name.
Found = list[tuple[str | None, str]]


class SourceRecord(BaseModel):
    """A source as a file holds it: types only; blanks and duplicates are checked after."""

    model_config = ConfigDict(strict=True, extra="allow")
    id: str | None = None
    title: str | None = None
    text: str | None = None


class CaseRecord(BaseModel):
    """A case as a file holds it. Strict: `"yes"` is not a boolean and `1` is not text. A null
    field counts as absent (its default applies)."""

    model_config = ConfigDict(strict=True, extra="allow")
    id: str | None = None
    question: str | None = None
    sources: list[SourceRecord] | None = None
    expected_answer: str | None = None
    answerable: bool | None = None
    evidence: list[str] | None = None
    tags: list[str] | None = None
    consequential: bool | None = None


def kind(value: Any) -> str:
    """A value as a sentence names it: `the text "abc"`, `the number 3`, `a list`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {json.dumps(value[:40], ensure_ascii=False)}"
    return "a list" if isinstance(value, list | tuple) else f"a {type(value).__name__}"


def _field(loc: tuple[int | str, ...]) -> str:
    """pydantic's location as the file's field path: ("sources", 1, "id") -> sources[1].id."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _type_message(loc: tuple[int | str, ...], value: Any) -> tuple[str, str]:
    """The field and message for a value of the wrong type."""
    name = _field(loc)
    top = loc[0]
    if top in ("id", "question"):
        return name, f"must be text, got {kind(value)}"
    if top == "expected_answer":
        return name, f"must be text or null, got {kind(value)}"
    if top in ("answerable", "consequential"):
        return name, f"expected true or false, got {kind(value)}"
    if top in ("evidence", "tags"):
        if len(loc) == 1:
            return name, f"expected a list of text, got {kind(value)}"
        return name, f"expected non-empty text, got {kind(value)}"
    if top == "sources":
        if len(loc) == 1:
            return name, f"expected a list of sources, got {kind(value)}"
        if len(loc) == 2:
            return name, f"expected an object {{id, title, text}}, got {kind(value)}"
        if loc[2] in ("id", "text"):
            return name, f"must be text (got {kind(value)})"
        return name, f"must be text, got {kind(value)}"
    return name, f"invalid: {kind(value)}"


def _lenient(record: dict[str, Any], errors: list[Any]) -> dict[str, Any]:
    """The record with every field pydantic refused set aside, so the remaining fields are
    still checked (and a list keeps its good items)."""
    cleaned = dict(record)
    for error in sorted(errors, key=lambda e: -len(e["loc"])):
        loc = error["loc"]
        if len(loc) == 1 or loc[0] not in ("sources", "evidence", "tags"):
            cleaned[loc[0]] = INVALID
        elif isinstance(cleaned.get(loc[0]), list) and isinstance(loc[1], int):
            items = list(cleaned[loc[0]])
            items[loc[1]] = INVALID
            cleaned[loc[0]] = items
    return cleaned


def check_case(
    record: dict[str, Any] | bytes | str,
    label_line: int,
    seen: dict[str, int],
    unknown: dict[str, list[int]],
) -> tuple[GoldenCase | None, Found]:
    """The case (None when it has a problem) and its problems as (field, message).

    `record` is a JSON line (validated by pydantic straight from the text) or a mapping (a
    CSV or Parquet row, or a JSON line that failed); `seen` maps each id taken to its line.
    """
    found: Found = []
    try:
        if isinstance(record, bytes | str):
            parsed = CaseRecord.model_validate_json(record)
        else:
            parsed = CaseRecord.model_validate(
                {k: v for k, v in record.items() if v is not INVALID}
            )
        invalid = (
            set()
            if isinstance(record, bytes | str)
            else {k for k, v in record.items() if v is INVALID}
        )
        return _rules(parsed, invalid, label_line, seen, unknown, found), found
    except ValidationError as exc:
        if isinstance(record, bytes | str):
            raise  # the caller parses the line itself and calls again with the mapping
        errors = exc.errors()
    for error in errors:
        value = error.get("input")
        if error["type"] == "missing":
            continue
        found.append(_type_message(tuple(error["loc"]), value))
    cleaned = _lenient(record, errors)
    _rules_on_mapping(cleaned, label_line, seen, unknown, found)
    return None, found


def _rules_on_mapping(
    record: dict[str, Any],
    line: int,
    seen: dict[str, int],
    unknown: dict[str, list[int]],
    found: Found,
) -> None:
    """The rules over a record some of whose fields were refused (`INVALID`)."""
    invalid = {k for k, v in record.items() if v is INVALID}
    usable = {k: v for k, v in record.items() if v is not INVALID}
    # a refused item is set aside, and the items after it keep the index the file gives them
    positions: Positions = {}
    for name in ("sources", "evidence", "tags"):
        items = usable.get(name)
        if isinstance(items, list) and any(i is INVALID for i in items):
            usable[name] = [i for i in items if i is not INVALID]
            positions[name] = [at for at, i in enumerate(items) if i is not INVALID]
            invalid.add("sources[]" if name == "sources" else name)
    parsed = CaseRecord.model_validate(usable)
    _rules(parsed, invalid, line, seen, unknown, found, positions)


Positions = dict[str, list[int]]


class _Positions:
    """`tags[2]` for the third item kept of a list, or the index the file gives it when an
    item before it was refused."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions

    def __call__(self, name: str, index: int) -> str:
        kept = self.positions.get(name)
        return f"{name}[{kept[index] if kept is not None else index}]"


def _rules(
    parsed: CaseRecord,
    invalid: set[str],
    line: int,
    seen: dict[str, int],
    unknown: dict[str, list[int]],
    found: Found,
    positions: Positions | None = None,
) -> GoldenCase | None:
    """The checks across fields; the case when nothing at all was found. `positions` gives,
    for a list some of whose items were refused, each kept item's index in the file."""
    at = _Positions(positions or {})
    for name in parsed.model_extra or {}:
        unknown.setdefault(name, []).append(line)
    case_id = parsed.id
    if "id" in invalid:
        case_id = None
    elif case_id is None or not case_id.strip():
        found.append(("id", "missing id: every case needs a unique id"))
        case_id = None
    elif case_id in seen:
        found.append(("id", f"duplicate id {case_id} (first on line {seen[case_id]})"))
    else:
        seen[case_id] = line
    label = case_id or f"on line {line}"
    if "question" not in invalid and (parsed.question is None or not parsed.question.strip()):
        found.append(("question", "empty question"))

    sources = None if "sources" in invalid else _sources(parsed, label, unknown, line, found, at)
    answerable = True if parsed.answerable is None else parsed.answerable
    expected = parsed.expected_answer
    if "expected_answer" not in invalid:
        if not answerable and expected is not None:
            found.append(
                (
                    "expected_answer",
                    "answerable is false, so expected_answer must be null (the right behaviour "
                    f"is to abstain); got {kind(expected)}",
                )
            )
        elif answerable and (expected is None or not expected.strip()):
            default = (
                ""
                if parsed.answerable is not None or "answerable" in invalid
                else (" (the default)")
            )
            found.append(
                (
                    "expected_answer",
                    f"answerable is true{default} but expected_answer is empty: give the agreed "
                    "answer, or set answerable to false",
                )
            )
    evidence = parsed.evidence or []
    for index, passage in enumerate(evidence):
        if not passage.strip():
            found.append((at("evidence", index), f"expected non-empty text, got {kind(passage)}"))
    if (
        evidence
        and sources is not None
        and "evidence" not in invalid
        and "sources[]" not in invalid
    ):
        texts = [s.text for s in sources]
        for index, passage in enumerate(evidence):
            if passage.strip() and not any(passage in text for text in texts):
                found.append((at("evidence", index), _not_found(passage, label, texts)))
    tags: list[str] = []
    for index, tag in enumerate(parsed.tags or []):
        if not tag.strip():
            found.append((at("tags", index), f"expected non-empty text, got {kind(tag)}"))
        elif ";" in tag:
            found.append((at("tags", index), f"a tag cannot contain ';' (got {tag!r})"))
        elif tag.strip() not in tags:
            tags.append(tag.strip())
    if found or invalid or case_id is None or parsed.question is None:
        return None
    return GoldenCase.model_construct(
        _fields_set=_CASE_FIELDS,  # shared, not a set per case: a large set stays small
        id=case_id,
        question=parsed.question,
        sources=tuple(sources or ()),
        expected_answer=expected,
        answerable=answerable,
        evidence=tuple(evidence),
        tags=tuple(intern(t) for t in tags),
        consequential=bool(parsed.consequential),
    )


def _sources(
    parsed: CaseRecord,
    label: str,
    unknown: dict[str, list[int]],
    line: int,
    found: Found,
    at: _Positions,
) -> list[Source] | None:
    sources: list[Source] = []
    first: dict[str, str] = {}
    for index, item in enumerate(parsed.sources or []):
        where = at("sources", index)
        for name in item.model_extra or {}:
            unknown.setdefault(f"sources[].{name}", []).append(line)
        ok = True
        if item.id is None or not item.id.strip():
            problem = "missing source id" if item.id in (None, "") else "must be text"
            found.append((f"{where}.id", f"{problem} (got {kind(item.id)})"))
            ok = False
        elif item.id in first:
            found.append(
                (
                    f"{where}.id",
                    f"duplicate source id {item.id} in case {label} (first at {first[item.id]})",
                )
            )
            ok = False
        else:
            first[item.id] = where
        if item.text is None or not item.text.strip():
            problem = "missing text" if item.text in (None, "") else "must be text"
            found.append((f"{where}.text", f"{problem} (got {kind(item.text)})"))
            ok = False
        if ok:
            sources.append(
                Source.model_construct(
                    _fields_set=_SOURCE_FIELDS,
                    id=intern(item.id),
                    title=intern(item.title or ""),
                    text=item.text,
                )
            )
    return sources


def _not_found(passage: str, label: str, texts: list[str]) -> str:
    where = "any source of" if texts else "any source of (it has none)"
    message = f"not found verbatim in {where} case {label} (first 60 chars: "
    message += json.dumps(passage[:60], ensure_ascii=False) + ")"
    squashed = " ".join(passage.split()).lower()
    if any(squashed in " ".join(text.split()).lower() for text in texts):
        message += "; it matches if case and spacing are ignored: copy the passage exactly"
    return message
