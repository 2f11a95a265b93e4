"""The data boundary's leak check, recorded: does any known piece of personal data leave?

A lead or the security owner (permission `check_boundary`) gives a probe file: values the data
owner knows must never leave (names, phone numbers, IBANs, ids …), one per line, or JSON lines
`{"value": "...", "kind": "..."}`; the boundary's own restricted terms are added. Each probe is
placed in every outbound position of a case (question, source title, source text, source id,
tag) and the case goes through `redaction.bound_case`, the function a run's edge calls, with
the current boundary (in a source id the value fills the readable collection's wildcard, e.g.
`annual-leave-<value>`, as an id of that collection would carry it); optionally every case of a golden set goes through it too. A leak is a
probe found in any string of the request that would leave (case-insensitively; a value with 8
or more digits also with its separators removed). The case id is the golden set's own key and
is not scanned.

The result is a row of `boundary_checks` and a `boundary.leak_check` audit event in one
transaction: when, who, the workflow version and the boundary's hash, how many items were
tested, how many leaked, and for each leak its kind, position and probe line, never the value.
The readiness scorecard's data-boundary item is met only when the latest check was made on the
current boundary (same hash) and found no leak.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.models import GoldenCase, Source, SystemRequest, content_hash
from pilot.core.store import Store, table_exists
from pilot.define.redaction import bound_case
from pilot.define.workflow import DataBoundary, current_workflow

POSITIONS = ("question", "source title", "source text", "source id", "tag")
MAX_PROBES = 10_000  # five items each, about 1-2 ms an item: a minute or two at most


@dataclass(frozen=True)
class Probe:
    value: str
    kind: str
    line: int  # 0 for a restricted term of the boundary


@dataclass(frozen=True)
class LeakCheck:
    id: str
    checked_at: str
    checked_by: str
    workflow_version: int
    boundary_hash: str
    probes: int
    probes_sha256: str
    probes_source: str
    cases_scanned: int
    items_tested: int
    leaks_found: int
    leaks: list[dict[str, Any]] = field(default_factory=list)  # kind, position, line

    @property
    def clean(self) -> bool:
        return self.leaks_found == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"clean": self.clean}


def boundary_hash(boundary: DataBoundary) -> str:
    """The boundary's own content hash: editing the workflow's description leaves it as is."""
    return content_hash(boundary.model_dump(mode="json"))


def read_probes(path: str | Path) -> tuple[list[Probe], str]:
    """Probes from a file (see `parse_probes`) and the file's SHA-256."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the probe file ({exc.strerror})") from None
    return parse_probes(raw, str(path))


def parse_probes(raw: bytes, where: str) -> tuple[list[Probe], str]:
    """Probes from text lines, or JSON lines with `value` and optional `kind` (blank lines and
    `#` comments skipped), and the bytes' SHA-256. Errors name `where`, line and field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    probes = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        value, kind = stripped, "listed value"
        if stripped.startswith("{"):
            try:
                item = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(item, dict):
                raise InputError(f"{where}:{number}: expected an object with `value`")
            value, kind = item.get("value"), item.get("kind", "listed value")
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{where}:{number}: value: must be a non-empty string")
            if not isinstance(kind, str):
                raise InputError(f"{where}:{number}: kind: must be a string")
        if len(value.strip()) < 3:
            raise InputError(f"{where}:{number}: value: {len(value.strip())} character(s) is "
                             "too short to check (3 or more)")  # fmt: skip
        probes.append(Probe(value.strip(), kind, number))
    if not probes:
        raise InputError(f"{where}: no probes (one value per line, or JSON lines with `value`)")
    if len(probes) > MAX_PROBES:
        raise InputError(f"{where}: {len(probes)} probes; at most {MAX_PROBES:,} per check")
    return probes, hashlib.sha256(raw).hexdigest()


def restricted_probes(boundary: DataBoundary) -> list[Probe]:
    """The boundary's own restricted terms (names the data owner listed), as probes."""
    return [
        Probe(term.strip(), f"restricted term ({category})", 0)
        for category, terms in sorted(boundary.restricted_terms.items())
        for term in terms
        if len(term.strip()) >= 3
    ]


def _readable_id(boundary: DataBoundary, fill: str) -> str:
    """A source id the boundary lets the system read, with `fill` in its wildcard if it has one."""
    for pattern in boundary.readable_patterns() or ["*"]:
        candidate = pattern.replace("*", fill, 1).replace("*", "").replace("?", "x")
        if boundary.may_read(candidate):
            return candidate
    return fill


def probe_case(probe: Probe, position: str, boundary: DataBoundary, n: int) -> GoldenCase:
    """A case carrying `probe` in `position`, every other string plain."""
    value = probe.value
    source_id = _readable_id(boundary, value if position == "source id" else f"probe-{n}")
    source = Source(
        id=source_id,
        title=f"Letter about {value}" if position == "source title" else "Policy",
        text="Leave is 25 days a year."
        + (f" For help contact {value} at any time." if position == "source text" else ""),
    )
    question = f"Hello, this is about {value}: how many days?" if position == "question" else (
        "How many days of leave?")  # fmt: skip
    tags = ("leave", f"from {value}") if position == "tag" else ("leave",)
    return GoldenCase(id=f"probe-{n}", question=question, sources=(source,), tags=tags)


def outbound_strings(request: SystemRequest) -> list[str]:
    """Every string of a request that would leave (its case id, the set's own key, excepted)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    walk(request.model_dump(mode="json", exclude={"case_id"}))
    return found


def _compact(text: str) -> str:
    return re.sub(r"[\s\-.()/]", "", text).lower()


def leaked(value: str, sent: Sequence[str]) -> bool:
    """`value` is in a sent string (ignoring case; with 8+ digits, ignoring separators too)."""
    low = value.lower()
    if any(low in s.lower() for s in sent):
        return True
    return sum(ch.isdigit() for ch in value) >= 8 and any(_compact(value) in _compact(s)
                                                          for s in sent)  # fmt: skip


def check_boundary(
    boundary: DataBoundary, probes: Sequence[Probe], cases: Iterable[GoldenCase] = ()
) -> tuple[int, int, list[dict[str, Any]]]:
    """(items tested, cases scanned, leaks): every probe in every position, then every given
    case, through `bound_case` with `boundary`. Pure: no database, no network."""
    leaks: list[dict[str, Any]] = []
    items = 0
    for n, probe in enumerate(probes):
        for position in POSITIONS:
            request = bound_case(probe_case(probe, position, boundary, n), boundary).request
            items += 1
            if leaked(probe.value, outbound_strings(request)):
                leaks.append({"kind": probe.kind, "position": position, "line": probe.line})
    scanned = 0
    for case in cases:
        sent = outbound_strings(bound_case(case, boundary).request)
        scanned += 1
        for probe in probes:
            if leaked(probe.value, sent):
                leaks.append({"kind": probe.kind, "position": f"golden case {case.id}",
                              "line": probe.line})  # fmt: skip
    return items + scanned, scanned, leaks


_COLUMNS = (
    "id, checked_at, checked_by, workflow_version, boundary_hash, probes, probes_sha256, "
    "probes_source, cases_scanned, items_tested, leaks_found, leaks"
)


def record_leak_check(
    store: Store,
    user: Who,
    probes: Sequence[Probe],
    probes_sha256: str,
    *,
    source: str,
    cases: Sequence[GoldenCase] = (),
) -> LeakCheck:
    """Run the check against the current boundary and record it (audited). The check runs
    outside the write; the write refuses it if the boundary changed meanwhile."""
    with store.read() as con:
        wf = current_workflow(con)
    if wf is None:
        raise InputError("no data boundary recorded yet: `pilot workflow set FILE.json` first")
    every = [*probes, *restricted_probes(wf.boundary)]
    items, scanned, leaks = check_boundary(wf.boundary, every, cases)
    digest = boundary_hash(wf.boundary)

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> LeakCheck:
        now_wf = current_workflow(con)
        if now_wf is None or boundary_hash(now_wf.boundary) != digest:
            raise InputError("the data boundary changed while it was checked: run the check again")
        check = LeakCheck(
            secrets.token_hex(8), audit.utc_now(), actor.name, wf.version, digest, len(every),
            probes_sha256, source, scanned, items, len(leaks), leaks,
        )  # fmt: skip
        row = check.as_dict()
        row.pop("clean")
        row["leaks"] = json.dumps(leaks)
        con.execute(
            f"INSERT INTO boundary_checks ({_COLUMNS}) VALUES ({', '.join('?' * 12)})",
            [row[c.strip()] for c in _COLUMNS.split(",")],
        )
        audit.record_as(
            con,
            actor,
            "boundary.leak_check",
            f"workflow:v{wf.version}",
            {k: v for k, v in check.as_dict().items() if k not in ("leaks", "checked_by")},
        )
        return check

    return write_as(store, user, "check_boundary", "boundary.leak_check", "boundary", body)


def latest_leak_check(con: duckdb.DuckDBPyConnection) -> LeakCheck | None:
    if not table_exists(con, "boundary_checks"):
        return None
    row = con.execute(
        f"SELECT {_COLUMNS} FROM boundary_checks ORDER BY checked_at DESC, id LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return LeakCheck(*row[:11], leaks=json.loads(row[11]))


def leak_check_status(con: duckdb.DuckDBPyConnection) -> tuple[LeakCheck | None, bool]:
    """(the latest check, whether it was made on the current boundary)."""
    check = latest_leak_check(con)
    wf = current_workflow(con)
    current = bool(check and wf and check.boundary_hash == boundary_hash(wf.boundary))
    return check, current
