"""Generate the report (a lead, audited), fetch the latest (anyone who may read it), replay it.

A generation is one audit event, `report.generate`, naming the evidence's SHA-256, the files'
SHA-256 and the scope; the files go to `<db>.evidence/` first, so the event never names a file
that is not there. Replay reads the evidence out of the HTML, checks its SHA-256 and the pilot
key's HMAC, recomputes every figure within the same scope, and names each one that differs.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pilot.core import audit, keys
from pilot.core.access import Actor, Who, require, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.evidence.gather import REPORT_ACTION, default_scope, gather
from pilot.evidence.model import FORMAT, WORDING, Evidence, Figure, canonical, digest, parse
from pilot.evidence.render import render_html

BLOCK = re.compile(
    r'<script type="application/json" id="pilot-evidence">(?P<json>[^<]*)</script>', re.S
)
META = re.compile(r'<meta name="(?P<name>pilot-[a-z0-9-]+)" content="(?P<value>[^"]*)">')


@dataclass(frozen=True)
class Generated:
    evidence: Evidence
    sha256: str
    hmac: str | None
    html: str
    pdf: bytes | None
    seq: int
    files: dict[str, str]


def folder(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".evidence")


def signature(key: keys.PilotKey | None, sha: str) -> str | None:
    return key.mac(f"evidence:{sha}") if key else None


def build(store: Store, user: Who, runs: list[str] | None = None,
          windows: list[str] | None = None) -> tuple[Evidence, str, str | None, str]:  # fmt: skip
    """The evidence, its SHA-256 and HMAC, and the HTML; nothing written."""
    evidence = gather(store, user, default_scope(store, user, runs, windows))
    sha = digest(evidence)
    key = store.key()
    mac = signature(key, sha)
    return evidence, sha, mac, render_html(evidence, sha, mac, key.key_id if key else None)


def generate(store: Store, user: Who, runs: list[str] | None = None,
             windows: list[str] | None = None, *, pdf: bool = False) -> Generated:  # fmt: skip
    """Build the report (a lead's: `report`), keep its files and audit the generation."""
    with store.read() as con:
        require(con, user, "report")
    evidence, sha, mac, html_text = build(store, user, runs, windows)
    pdf_bytes = None
    if pdf:
        from pilot.evidence.pdf import to_pdf

        pdf_bytes = to_pdf(html_text)
    out = folder(store)
    out.mkdir(mode=0o700, exist_ok=True)
    stem = "evidence-" + re.sub(r"[^0-9]", "", evidence.scope.generated_at)[:14] + "-" + sha[:12]
    files = {"html": f"{stem}.html"} | ({"pdf": f"{stem}.pdf"} if pdf_bytes else {})
    written = [_write(out / files["html"], html_text.encode("utf-8"))]
    if pdf_bytes:
        written.append(_write(out / files["pdf"], pdf_bytes))
    payload: dict[str, Any] = {
        "evidence_sha256": sha, "signed": mac is not None, "files": files,
        "file_sha256": {k: hashlib.sha256((out / v).read_bytes()).hexdigest()
                        for k, v in files.items()},
        "runs": list(evidence.scope.runs), "windows": evidence.scope.windows,
        "audit_through": evidence.scope.audit_through, "ready": evidence.summary.ready,
        "headline": evidence.summary.headline,
    }  # fmt: skip

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> int:
        return audit.record_as(con, actor, REPORT_ACTION, f"report:{sha[:16]}", payload).seq

    try:
        seq = write_as(store, user, "report", REPORT_ACTION, f"report:{sha[:16]}", body)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Generated(evidence, sha, mac, html_text, pdf_bytes, seq, files)


def _write(path: Path, data: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    return path


@dataclass(frozen=True)
class Latest:
    seq: int
    at: str
    by: str
    headline: str
    html: bytes
    pdf: bytes | None
    names: dict[str, str]


def latest(store: Store, user: Who) -> Latest | None:
    """The newest generated report's files (checked against the hashes its event recorded)."""
    with store.read() as con:
        require(con, user, "read_report")
        found = audit.events(con, action=REPORT_ACTION, limit=1)
    if not found:
        return None
    event = found[0]
    data: dict[str, bytes | None] = {}
    for kind, name in event.payload["files"].items():
        path = folder(store) / name
        content = path.read_bytes() if path.exists() else None
        if content is None or hashlib.sha256(content).hexdigest() != event.payload[
            "file_sha256"
        ].get(kind):
            raise InputError(f"{path}: missing or changed since event {event.seq} recorded it")
        data[kind] = content
    return Latest(event.seq, event.ts, event.actor, event.payload.get("headline", ""),
                  data["html"] or b"", data.get("pdf"), event.payload["files"])  # fmt: skip


@dataclass
class Replay:
    sha256: str
    hash_ok: bool
    signature: str  # valid | invalid | unsigned | no key
    differences: list[str] = field(default_factory=list)
    figures: int = 0
    worded_by: str = FORMAT  # the format the report's words were written in
    wording: list[str] = field(default_factory=list)  # words an earlier kit chose differently

    @property
    def ok(self) -> bool:
        return self.hash_ok and self.signature in {"valid", "unsigned"} and not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "sha256": self.sha256, "hash_ok": self.hash_ok,
                "signature": self.signature, "figures": self.figures,
                "differences": self.differences, "worded_by": self.worded_by,
                "wording": self.wording}  # fmt: skip


def read_report(text: str, where: str) -> tuple[str, dict[str, str]]:
    """The evidence JSON and the pilot meta tags of a report's HTML."""
    match = BLOCK.search(text)
    if match is None:
        raise InputError(f"{where}: not a pilot evidence report (no evidence block found)")
    return match.group("json"), {m["name"]: m["value"] for m in META.finditer(text)}


def replay(store: Store, user: Who, text: str, where: str = "report") -> Replay:
    """Check the hash and signature, recompute every figure, name each that differs."""
    raw, meta = read_report(text, where)
    try:
        reported = parse(raw)
    except ValueError as exc:
        raise InputError(f"{where}: the evidence block is not valid evidence ({exc})") from None
    sha = hashlib.sha256(raw.encode("ascii", "replace")).hexdigest()
    hash_ok = sha == meta.get("pilot-evidence-sha256") and canonical(reported) == raw
    key = store.key()
    mac = meta.get("pilot-evidence-hmac", "")
    if not mac:
        verdict = "unsigned"
    elif key is None:
        verdict = "no key"
    else:
        verdict = "valid" if key.check(f"evidence:{sha}", mac) else "invalid"
    result = Replay(sha, hash_ok, verdict, figures=len(reported.figures),
                    worded_by=reported.format)  # fmt: skip
    earlier = reported.format != FORMAT
    if not hash_ok:
        result.differences.append(f"the evidence's SHA-256 is {sha}, but the report says "
                                  f"{meta.get('pilot-evidence-sha256')}: the file was edited")  # fmt: skip
    if verdict == "invalid":
        result.differences.append("the pilot key's signature does not match the evidence")
    # The hash covers the evidence block; the pages a reader sees are rendered from it, so they
    # must be exactly what that evidence renders to, or someone edited what they show.
    shown = render_html(reported, meta.get("pilot-evidence-sha256", ""), mac or None,
                        meta.get("pilot-key-id") or None)  # fmt: skip
    if hash_ok and shown != text and earlier:
        result.wording.append(f"its pages were drawn by an earlier kit ({reported.format}) and "
                              "cannot be drawn again to compare: read the figures from this "
                              "replay, not from the pages")  # fmt: skip
    elif hash_ok and shown != text:
        result.differences.append("the report's pages do not match its evidence: the text a "
                                  "reader sees was edited (or made by another kit version)")  # fmt: skip
    fresh = gather(store, user, reported.scope)
    facts, words = differences(reported, fresh)
    if earlier:  # the facts must match; the words are this kit's
        result.differences += facts
        result.wording += words
    else:
        result.differences += facts + words
    return result


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _describe(f: Figure | None, g: Figure | None, fields: Callable[[str], bool]) -> str:
    if f is None:
        return f"{g.key} ({g.label}): not in the report, but the database now has it"  # type: ignore[union-attr]
    if g is None:
        return f"{f.key} ({f.label}): in the report, but the database no longer gives it"
    a, b = f.model_dump(mode="json"), g.model_dump(mode="json")
    changed = [k for k in a if fields(k) and not _same(a[k], b[k])]
    parts = [f"{k} {a[k]!r} in the report, {b[k]!r} recomputed" for k in changed]
    return f"{f.key} ({f.label}): " + "; ".join(parts)


SUMMARY_WORDS = {"headline", "reasons", "stage_name", "for_stage_name"}


def differences(reported: Evidence, fresh: Evidence) -> tuple[list[str], list[str]]:
    """What the recomputation does not match, as (facts, words): a line per figure whose facts
    differ (or that one side lacks) and a line per figure whose words (`WORDING`) differ, so a
    figure with both is named once in each; the summary and the limitations likewise. A
    report an earlier kit worded is held to the facts only."""
    mine, theirs = reported.by_key(), fresh.by_key()
    facts, words = [], []
    for k in list(mine) + [k for k in theirs if k not in mine]:
        f, g = mine.get(k), theirs.get(k)
        if f is None or g is None:
            facts.append(_describe(f, g, lambda _: True))
            continue
        a, b = f.model_dump(mode="json"), g.model_dump(mode="json")
        if not _same(_only(a, WORDING, keep=False), _only(b, WORDING, keep=False)):
            facts.append(_describe(f, g, lambda field: field not in WORDING))
        if not _same(_only(a, WORDING), _only(b, WORDING)):
            words.append(_describe(f, g, lambda field: field in WORDING))
    a, b = reported.summary.model_dump(mode="json"), fresh.summary.model_dump(mode="json")
    summary = (f"summary: {reported.summary.headline!r} in the report, "
               f"{fresh.summary.headline!r} recomputed")  # fmt: skip
    if not _same(_only(a, SUMMARY_WORDS, keep=False), _only(b, SUMMARY_WORDS, keep=False)):
        facts.append(summary)
    if not _same(_only(a, SUMMARY_WORDS), _only(b, SUMMARY_WORDS)):
        words.append(summary)
    if reported.limitations != fresh.limitations:
        words.append("known limitations: the recomputed list differs")
    return facts, words


def _only(fields: dict[str, Any], names: Collection[str], keep: bool = True) -> dict[str, Any]:
    """The fields named (or, with keep=False, every other field)."""
    return {k: v for k, v in fields.items() if (k in names) == keep}


def choices(store: Store, user: Who) -> dict[str, Any]:
    """What a lead may cover: scored runs (label by id), live windows, and the defaults."""
    from pilot.results.view import finished_runs
    from pilot.review import dashboard

    scope = default_scope(store, user)
    with store.read() as con:
        runs = {r["run_id"]: r["label"] for r in finished_runs(con)}
        windows = [w["window"] for w in dashboard.status(con, user)["windows"]]
    return {"runs": runs, "windows": windows, "default_runs": list(scope.runs)}


def evidence_html(built: tuple[Evidence, str, str | None, str]) -> str:
    """The HTML of a report `build` made (what the Evidence page previews)."""
    return built[3]
