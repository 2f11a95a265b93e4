"""The trust-gap checklist as a scorecard: each item met, not met or at risk, from stored
evidence only, with the evidence it rests on and what is missing, in plain words."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from pilot.core import audit, keys
from pilot.core.access import list_users
from pilot.core.killswitch import holders, state
from pilot.core.store import table_exists
from pilot.core.tokens import unrevoked_expiry
from pilot.core.web_sessions import concurrent_use
from pilot.define.leak_check import leak_check_status
from pilot.define.workflow import current_workflow
from pilot.results.humane import plural
from pilot.review.stage_evidence import citation_support, consequential_decided
from pilot.runs.lookup import run_brief

DRILL_DAYS = 90
ANCHOR_DAYS = 7
SHARED_DAYS = 30


@dataclass(frozen=True)
class Item:
    name: str
    status: str  # met | not met | at risk
    evidence: str
    missing: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _age(days: float) -> str:
    """An age in words: under an hour, hours under two days, then days to one decimal."""
    hours = days * 24
    if hours < 1:
        return "less than an hour"
    if days < 2:
        return plural(int(hours), "hour")
    return f"{days:.1f} days"


def _item(name: str, problems: list[str], evidence: list[str], risk: list[str] = ()) -> Item:  # type: ignore[assignment]
    status = "not met" if problems else ("at risk" if risk else "met")
    return Item(
        name, status, "; ".join(evidence) or "nothing recorded", "; ".join([*problems, *risk])
    )


def _when(stamp: str) -> datetime:
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _days_since(stamp: str | None, now: datetime | None = None) -> float | None:
    if not stamp:
        return None
    return ((now or datetime.now(UTC)) - _when(stamp)).total_seconds() / 86400


def data_boundary(con: duckdb.DuckDBPyConnection) -> Item:
    wf = current_workflow(con) if table_exists(con, "workflow_versions") else None
    if wf is None:
        return _item("Data boundary", ["no workflow or data boundary recorded"], [])
    ev = [f"boundary version {wf.version}"]
    problems = []
    statement = wf.boundary.provider_statement
    if statement is None:
        problems.append("the provider's data-use statement is not recorded")
    else:
        ev.append(f"provider statement confirmed by {statement.confirmed_by}")
    check, current = leak_check_status(con)
    if check is None:
        problems.append("no leak check recorded on this boundary version (a lead runs one)")
    else:
        ev.append(f"last leak check {check.checked_at} by {check.checked_by}: "
                  f"{plural(check.items_tested, 'item')} tested, {plural(check.leaks_found, 'leak')}, "
                  f"on workflow v{check.workflow_version}")  # fmt: skip
        if not check.clean:
            problems.append(f"the last leak check found {plural(check.leaks_found, 'leak')}")
        if not current:
            problems.append("the boundary changed after the last leak check: check it again")
    return _item("Data boundary", problems, ev)


def human_oversight(con: duckdb.DuckDBPyConnection, stage: int) -> Item:
    counts = consequential_decided(con)
    if counts is None:
        return _item("Human oversight", [], ["no live outputs yet"])
    total, decided = counts
    ev = [f"{decided} of {total} consequential outputs at stages 2 and 3 have a recorded approval"]
    missing = [f"{plural(total - decided, 'consequential output')} without a recorded decision"]
    if total == decided:
        return _item("Human oversight", [], ev)
    return _item(
        "Human oversight", missing if stage >= 2 else [], ev, [] if stage >= 2 else missing
    )


def grounding(con: duckdb.DuckDBPyConnection, data: dict[str, Any]) -> Item:
    record = data.get("run_of_record")
    problems, ev = [], []
    if record is None:
        problems.append("no run of record")
    else:
        brief = run_brief(con, record["run_id"])
        metrics = brief.summary.get("metrics", {}) if brief else {}
        cov = metrics.get("citation_coverage", {})
        value = cov.get("value")
        ev.append(f"citation coverage of run {record['run_id']}: "
                  + ("n/a" if value is None else f"{value:.1%} (n = {cov.get('n')})"))  # fmt: skip
        failing = [f for f in record["failing"] if f.startswith("citation")]
        if failing:
            problems.append("the run of record fails " + ", ".join(failing))
    n, supported = citation_support(con)
    if n:
        ev.append(f"graders found citations supporting {supported} of {n} live outputs")
        if supported < n:
            return _item("Grounding and citations", problems, ev,
                         [f"{plural(n - supported, 'graded live output')} with unsupported citations"])  # fmt: skip
    else:
        ev.append("no graded live output judged on its citations")
    return _item("Grounding and citations", problems, ev)


def audit_trail(
    con: duckdb.DuckDBPyConnection,
    key: keys.PilotKey | None,
    now: datetime | None = None,
    through: int | None = None,
) -> Item:
    """With `through` (the evidence report's as-of point), the events up to that one and the
    anchor as it stood then: the witness beside the key named event `through`, written when it
    was committed."""
    result = audit.verify(con, key=key)
    shown = result.events if through is None else min(through, result.events)
    ev = [f"{shown} events, " + ("keyed chain verifies" if result.intact and key
                                          else "chain verifies" if result.intact else "BROKEN")]  # fmt: skip
    problems = [] if result.intact else [f"the chain does not verify: {result.reason}"]
    if key is None:
        problems.append("no pilot key: the chain is not keyed")
        return _item("Audit trail", problems, ev)
    path = keys.witness_path(key)
    if not path.exists():
        return _item("Audit trail", [*problems, "no anchor kept outside the database"], ev)
    head = audit.event_at(con, through) if through else None
    written = _when(head.ts).timestamp() if head else path.stat().st_mtime
    age = max(0.0, ((now or datetime.now(UTC)).timestamp() - written) / 86400)
    ev.append(f"newest anchor outside the database is {_age(age)} old")
    risk = [f"anchor older than {ANCHOR_DAYS} days"] if age > ANCHOR_DAYS else []
    return _item("Audit trail", problems, ev, risk)


def access(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> Item:
    """Every role held by a named person; one person to an account, as far as the records show;
    no token expired or never expiring. What is checked, exactly:
    no two active accounts share an e-mail (one person with two accounts, or a group mailbox),
    and no account was open in two browser sessions at the same time in the last
    `SHARED_DAYS` days (web sessions). A password passed to a colleague and used one at a time
    leaves no such trace; the evidence says so."""
    users = [u for u in list_users(con) if u["active"]]
    roles = {str(u["role"]) for u in users}
    problems = [f"no named {r}" for r in ("admin", "lead", "evaluator") if r not in roles]
    emails: dict[str, list[str]] = {}
    for u in users:
        if u["email"]:
            emails.setdefault(str(u["email"]).strip().lower(), []).append(str(u["name"]))
    for accounts in emails.values():
        if len(accounts) > 1:
            problems.append("accounts sharing one e-mail: " + ", ".join(sorted(accounts)))
    since = (now or datetime.now(UTC)) - timedelta(days=SHARED_DAYS)
    overlapping = concurrent_use(con, since)
    no_email = sum(1 for u in users if not u["email"])
    ev = [f"{plural(len(users), 'active named user')} across roles: {', '.join(sorted(roles)) or 'none'}",
          f"e-mails distinct across the {plural(len(users) - no_email, 'account')} that have one"
          + (f" ({no_email} without an e-mail)" if no_email else ""),
          f"browser sessions in the last {SHARED_DAYS} days: "
          + ("no account open in two at once" if not overlapping else
             "; ".join(f"{n} open in two at once {plural(k, 'time')}" for n, k in overlapping.items())),
          "not visible in the records: a password shared and used one person at a time"]  # fmt: skip
    stamp = audit.utc_now() if now is None else now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    expired, no_expiry = unrevoked_expiry(con, stamp)
    risk = [f"account {n} was open in two browser sessions at the same time (shared, or one "
            "person on two devices?)" for n in overlapping]  # fmt: skip
    if expired:
        risk.append(f"{plural(expired, 'expired token')} not revoked")
    if no_expiry:
        risk.append(f"{plural(no_expiry, 'token')} that never expire")
    return _item("Role-based access", problems, ev, risk)


def success_criterion(data: dict[str, Any]) -> Item:
    record = data.get("run_of_record")
    if record is None:
        return _item("Written success criterion", ["a signed bar and a run judged against it"], [])
    ev = [f"bar v{record['bar_version']} signed; run of record {record['run_id']} "
          + ("passes" if record["passed"] else f"fails {plural(len(record['failing']), 'requirement')}")]  # fmt: skip
    return _item("Written success criterion", [], ev)


def way_to_stop(
    con: duckdb.DuckDBPyConnection, data: dict[str, Any], now: datetime | None = None
) -> Item:
    who = holders(con)
    kill = state(con)
    ev = [f"kill switch held by {', '.join(n for n, _ in who) or 'nobody'}"]
    problems = [] if who else ["nobody can engage the kill switch"]
    days = _days_since(kill.last_tested, now)
    if days is None:
        problems.append("the kill switch has never been drilled (a stop recorded as a drill)")
    else:
        ev.append(f"last drill {_age(days)} ago")
        if days > DRILL_DAYS:
            problems.append(f"last drill more than {DRILL_DAYS} days ago")
    target = data.get("rollback_target")
    if target:
        ev.append(
            f"rollback target: config {target['config_version'][:12]} at stage {target['stage']}"
        )
    elif data["stage"] >= 1:
        problems.append("no previous config version to roll back to")
    else:
        ev.append("no rollback needed at stage 0")
    return _item("A way to stop it", problems, ev)


def scorecard(
    con: duckdb.DuckDBPyConnection,
    data: dict[str, Any],
    key: keys.PilotKey | None = None,
    now: datetime | None = None,
    through: int | None = None,
) -> list[dict[str, str]]:
    """`now` and `through` (an audit event number) fix the moment it is judged at, so an
    evidence report's scorecard can be recomputed later; by default, now and the whole chain."""
    items = [
        data_boundary(con),
        human_oversight(con, data["stage"]),
        grounding(con, data),
        audit_trail(con, key, now, through),
        access(con, now),
        success_criterion(data),
        way_to_stop(con, data, now),
    ]
    return [i.as_dict() for i in items]
