"""Humane formatting for the app: times in the viewer's time zone to the minute, plurals, no
`None`, and the Audit trail as rows with headers in words, payloads as formatted JSON, and CSV.

Pure (no Streamlit): pages pass in the viewer's time zone (`st.context.timezone`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from pilot.core.audit import Event

DASH = "—"


def zone(name: str | None) -> ZoneInfo:
    """The viewer's zone; UTC when the browser did not say or named an unknown one."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: str | datetime | None, tz: str | None) -> str:
    """'2026-11-29 22:27 CET' for a stored time (ISO text, `Z` or offset, naive = UTC)."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M %Z")


def utc_minute(value: str | datetime | None) -> str:
    """A stored time as reports show it, to the minute in UTC: '2026-11-30 05:38 UTC'."""
    return local_time(value, "UTC")


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 event', '2 events', '0 cases'; `many` for irregular plurals."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def text(value: Any) -> str:
    """A cell for a person: no `None`, lists joined, mappings as formatted JSON."""
    if value is None:
        return DASH
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return str(value)


_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$")


def cell(value: Any, tz: str | None) -> Any:
    """A table cell for a person: a stored time in the viewer's zone to the minute, `—` for
    None, mappings as formatted JSON; numbers and words as they are."""
    if value is None:
        return DASH
    if isinstance(value, str) and _ISO_TIME.match(value):
        return local_time(value, tz)
    if isinstance(value, dict | list | tuple):
        return text(value)
    return value


def table(rows: Sequence[Mapping[str, Any]], tz: str | None) -> list[dict[str, Any]]:
    """Rows for st.dataframe with headers in words ("graded_at" → "graded at") and every cell
    through `cell`."""
    out = [{str(k).replace("_", " "): cell(v, tz) for k, v in row.items()} for row in rows]
    for column in {k for row in out for k in row}:  # one type per column, as tables need
        values = [row.get(column) for row in out]
        if any(isinstance(v, str) for v in values) and not all(isinstance(v, str) for v in values):
            for row in out:
                if column in row and not isinstance(row[column], str):
                    row[column] = _number(row[column])
    return out


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)


def audit_rows(events: Sequence[Event], tz: str | None) -> list[dict[str, Any]]:
    """The Audit table: headers in words, names before hashes, payloads as formatted JSON."""
    return [
        {
            "Event": e.seq,
            "When": local_time(e.ts, tz),
            "Who": e.actor,
            "Role": e.role,
            "Action": e.action,
            "On": e.object,
            "Details": text(e.payload),
            "Through token": e.token_id or DASH,
            "Hash": e.hash[:12],
        }
        for e in events
    ]


def audit_csv(events: Sequence[Event], tz: str | None) -> str:
    """The shown events as CSV (a spreadsheet-safe copy: formula-like cells are quoted)."""
    from pilot.runs.export import neutralise_formulas

    rows = audit_rows(events, tz)
    for row, event in zip(rows, events, strict=True):
        row["Details"] = json.dumps(event.payload, sort_keys=True, default=str)
        row["UTC time"] = event.ts
        row["Hash"] = event.hash
    if not rows:
        return ""
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]} | {"Event": pl.Int64})
    return neutralise_formulas(frame).write_csv()
