"""One pass over everything a figure rests on: the keyed audit chain, then every bar version,
golden-set version and finished run checked against the (keyed) event that recorded it.

A record can be edited and its own hashes recomputed by anyone who can write the file, but not
the MAC'd event that recorded it, so each record must still match what its event says:
a bar its `bar.draft`/`bar.sign` event, a golden-set version its `goldenset.import` and
`goldenset.agree` events, a finished run the results and summary digests of its `run.finish`.
Scoring calls `require_sound` first, so a tampered bar or golden set can never turn a gate green.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pilot.core import audit, keys, verified
from pilot.core.errors import InputError
from pilot.core.events import events_on, newest_events
from pilot.core.models import content_hash
from pilot.define.bar_versions import bar_history, bar_version
from pilot.goldensets.stored import version_rows
from pilot.goldensets.versions import content_intact, version_info


class TamperedRecord(InputError):
    """A record no longer matches its keyed audit event: nothing is scored (exit 2)."""


@dataclass
class IntegrityReport:
    chain: audit.Verification
    problems: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.chain.intact and not self.problems and self.chain.keyed

    @property
    def first_bad(self) -> str | None:
        if not self.chain.intact:
            return f"audit event {self.chain.first_bad}: {self.chain.reason}"
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        counts = ", ".join(f"{n} {what}" for what, n in self.checked.items())
        if self.first_bad:
            return f"NOT INTACT: {self.first_bad}"
        text = self.chain.summary()
        return f"{text}; records match their events ({counts})" if counts else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "keyed": self.chain.keyed,
            "key_id": self.chain.key_id,
            "unkeyed_before": self.chain.unkeyed_before,
            "events": self.chain.events,
            "first_bad": self.chain.first_bad,
            "first_bad_record": self.first_bad,
            "reason": self.chain.reason,
            "problems": self.problems,
            "checked": self.checked,
            "notes": self.chain.notes(),
            "head": self.chain.head,
            "anchor": self.chain.anchor,
            "summary": self.summary(),
        }


def results_digest(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    rows = con.execute(
        "SELECT case_id, answer, abstained, claims, citations, error, correct FROM results "
        "WHERE run_id = ? ORDER BY case_id",
        [run_id],
    ).fetchall()
    return content_hash([list(r) for r in rows])


def summary_digest(summary_json: str | None) -> str:
    return content_hash(json.loads(summary_json) if summary_json else None)


def _events(con: duckdb.DuckDBPyConnection, actions: tuple[str, ...]) -> dict[tuple[str, str], Any]:
    """The newest event per (action, object) for these actions, payload parsed."""
    return newest_events(con, actions)


def bar_problem(
    con: duckdb.DuckDBPyConnection, version: int, events: dict | None = None
) -> str | None:
    events = events if events is not None else _events(con, ("bar.draft", "bar.sign"))
    found = bar_version(con, version)
    if found is None:
        return f"bar v{version}: missing (a run names it, but it is not in the database)"
    obj = f"bar:v{version}"
    if found.signed:
        sign = events.get(("bar.sign", obj))
        if sign is None:
            return f"bar v{version}: marked signed by {found.signed_by}, but no event records it"
        actor, ts, payload = sign
        if (
            payload.get("content_hash") != found.content_hash
            or found.problems()
            or payload.get("signature_hash") != found.signature_hash
        ):
            return f"bar v{version}: criteria changed after it was signed by {actor} on {ts}"
        if found.signed_by != actor:
            return f"bar v{version}: its signer was changed from {actor} to {found.signed_by}"
        return None
    draft = events.get(("bar.draft", obj))
    if draft is not None and (
        draft[2].get("content_hash") != found.content_hash or found.problems()
    ):
        return f"bar v{version}: criteria changed after it was saved by {draft[0]} on {draft[1]}"
    return None


def goldenset_problem(
    con: duckdb.DuckDBPyConnection, version: str, events: dict | None = None
) -> str | None:
    info = version_info(con, version)
    if info is None:
        return f"golden set version {version[:12]}: missing"
    label = f"golden set {info.name} version {info.short}"
    if not content_intact(con, version):
        return f"{label}: cases changed after it was imported by {info.created_by} on {info.created_at}"
    rows = events_on(con, f"goldenset:{info.name}", ("goldenset.import", "goldenset.agree"))
    imports = [r[1] for r in rows if r[0] == "goldenset.import"]
    if not any(p.get("version") == version and p.get("n_cases") == info.n_cases for p in imports):
        return f"{label}: no import event records this version with {info.n_cases} cases"
    if info.agreed_by:
        agreed = [r[1] for r in rows if r[0] == "goldenset.agree"]
        if not any(
            p.get("version") == version and p.get("agreed_by") == info.agreed_by for p in agreed
        ):
            return f"{label}: its agreement ({info.agreed_by}) was changed after it was recorded"
    return None


def run_problem(con: duckdb.DuckDBPyConnection, run_id: str, event: Any) -> str | None:
    if event is None:
        return f"run {run_id}: marked finished, but no run.finish event records it"
    actor, ts, payload = event
    recorded = payload.get("results_digest")
    now = results_digest(con, run_id)
    if recorded != now:
        return (
            f"run {run_id}: results changed after it finished "
            f"(digest {str(recorded)[:12]} at {ts}, now {now[:12]})"
        )
    if "summary_digest" in payload:
        row = con.execute("SELECT summary FROM runs WHERE run_id = ?", [run_id]).fetchone()
        if payload["summary_digest"] != summary_digest(row[0] if row else None):
            return f"run {run_id}: its stored summary changed after it finished at {ts}"
    return None


def verify_all(
    con: duckdb.DuckDBPyConnection,
    key: keys.PilotKey | None,
    anchor: tuple[int, str] | None = None,
) -> IntegrityReport:
    """The chain (with the key), then every bar, golden-set version and finished run."""
    report = IntegrityReport(audit.verify(con, anchor, key))
    events = _events(con, ("bar.draft", "bar.sign", "run.finish"))
    bars = [b.version for b in bar_history(con)]
    sets = [version for version, _, _, _ in reversed(version_rows(con))]
    runs = [
        r[0]
        for r in con.execute(
            "SELECT run_id FROM runs WHERE status = 'finished' ORDER BY started_at"
        ).fetchall()
    ]
    for version in bars:
        report.problems.append(bar_problem(con, version, events) or "")
    for version in sets:
        report.problems.append(goldenset_problem(con, version) or "")
    for run_id in runs:
        report.problems.append(
            run_problem(con, run_id, events.get(("run.finish", f"run:{run_id}"))) or ""
        )
    report.problems = [p for p in report.problems if p]
    report.checked = {
        "bar versions": len(bars),
        "golden-set versions": len(sets),
        "runs": len(runs),
    }
    return report


def require_sound(
    con: duckdb.DuckDBPyConnection, *, bar: int | None, goldenset: str | None
) -> None:
    """Refuse (exit 2) to score against a bar or golden set that does not match its keyed
    event, or when the chain those events sit in does not verify under the key."""
    key = keys.bound_key(con)
    if key is not None:  # from the end of this process's last walk, when nothing before changed
        chain = verified.verify(con, key)
        if not chain.intact:
            raise TamperedRecord(
                f"refusing to score: the audit chain is broken at event {chain.first_bad} "
                f"({chain.reason}); run `pilot audit verify`",
                app=f"Refusing to score: the audit chain is broken at event {chain.first_bad} "
                f"({chain.reason}). The Audit page shows the check.",
            )
    problem = (bar_problem(con, bar) if bar is not None else None) or (
        goldenset_problem(con, goldenset) if goldenset else None
    )
    if problem:
        raise TamperedRecord(
            f"refusing to score: {problem}; run `pilot audit verify`",
            app=f"Refusing to score: {problem}. The Audit page shows the check.",
        )


__all__ = ["IntegrityReport", "TamperedRecord", "require_sound", "results_digest", "verify_all"]
