"""Humane formatting: local times to the minute, plurals, no None, Audit rows and CSV."""

from __future__ import annotations

import csv
import io
import json

from pilot.core.audit import Event
from pilot.results import humane


def test_local_time_in_the_viewers_zone_to_the_minute() -> None:
    stored = "2026-11-29T21:27:59.123456Z"
    assert humane.local_time(stored, "Europe/Paris") == "2026-11-29 22:27 CET"
    assert humane.local_time(stored, "America/New_York") == "2026-11-29 16:27 EST"
    assert humane.local_time("2026-07-01T00:05:00", "Europe/London") == "2026-07-01 01:05 BST"
    assert humane.local_time(stored, None) == "2026-11-29 21:27 UTC"
    assert humane.local_time(stored, "Not/AZone") == "2026-11-29 21:27 UTC"
    assert humane.local_time(None, "Europe/Paris") == "—"


def test_reports_show_times_to_the_minute_in_utc_whatever_the_offset_stored() -> None:
    assert humane.utc_minute("2026-11-29T22:27:59.9+01:00") == "2026-11-29 21:27 UTC"
    assert humane.utc_minute("2026-11-30T05:38:00") == "2026-11-30 05:38 UTC"  # naive = UTC
    assert humane.utc_minute(None) == "—"


def test_plurals_and_no_none() -> None:
    assert humane.plural(1, "version") == "1 version"
    assert humane.plural(0, "case") == "0 cases"
    assert humane.plural(1825, "case") == "1,825 cases"
    assert humane.plural(2, "person", "people") == "2 people"
    assert humane.text(None) == "—"
    assert humane.text({"b": 1, "a": [1, 2]}) == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}'


def event(seq: int, payload: dict[str, object], obj: str = "bar:3") -> Event:
    return Event(
        seq,
        "2026-11-29T21:27:00.000000Z",
        "priya",
        "lead",
        "bar.sign",
        obj,
        payload,
        "0" * 64,
        f"{seq:064x}",
    )


def test_audit_rows_and_csv() -> None:
    events = [event(2, {"reason": "x"}, '=HYPERLINK("http://x")'), event(1, {"version": 3})]
    rows = humane.audit_rows(events, "Europe/Paris")
    assert rows[1]["When"] == "2026-11-29 22:27 CET" and rows[1]["Who"] == "priya"
    assert json.loads(rows[1]["Details"]) == {"version": 3} and "\n" in rows[1]["Details"]
    parsed = list(csv.DictReader(io.StringIO(humane.audit_csv(events, "Europe/Paris"))))
    assert [r["Event"] for r in parsed] == ["2", "1"]
    assert parsed[0]["On"] == '\'=HYPERLINK("http://x")'  # a formula-like cell is quoted
    assert json.loads(parsed[1]["Details"]) == {"version": 3}
    assert parsed[1]["UTC time"] == "2026-11-29T21:27:00.000000Z"
    assert parsed[1]["Hash"] == f"{1:064x}"
    assert humane.audit_csv([], None) == ""
