"""The trust-gap checklist as a scorecard: each item met, not met or at risk, from stored
evidence only, with the evidence it rests on and what is missing, in plain words."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from pilot.core import audit, keys
from pilot.core.killswitch import holders, state
from pilot.core.store import table_exists

DRILL_DAYS = 90
ANCHOR_DAYS = 7


@dataclass(frozen=True)
class Item:
    name: str
    status: str  # met | not met | at risk
    evidence: str
    missing: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _item(name: str, problems: list[str], evidence: list[str], risk: list[str] = ()) -> Item:  # type: ignore[assignment]
    status = "not met" if problems else ("at risk" if risk else "met")
    return Item(
        name, status, "; ".join(evidence) or "nothing recorded", "; ".join([*problems, *risk])
    )


def _days_since(stamp: str | None) -> float | None:
    if not stamp:
        return None
    when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return (datetime.now(UTC) - when).total_seconds() / 86400


def data_boundary(con: duckdb.DuckDBPyConnection) -> Item:
    from pilot.define.workflow import current_workflow

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
    checks = audit.events(con, action="boundary.leak_check", limit=1)
    if not checks:
        problems.append("no leak check recorded (no step records one yet)")
    elif not checks[0].payload.get("clean"):
        problems.append(f"the last leak check ({checks[0].ts}) found leaks")
    else:
        ev.append(f"last leak check clean ({checks[0].ts})")
    return _item("Data boundary", problems, ev)


def human_oversight(con: duckdb.DuckDBPyConnection, stage: int) -> Item:
    if not table_exists(con, "live_outputs"):
        return _item("Human oversight", [], ["no live outputs yet"])
    total, decided = con.execute(
        "SELECT count(*), count(a.output_id) FROM live_outputs o "
        "LEFT JOIN approvals a ON a.output_id = o.id WHERE o.consequential AND o.stage IN (2, 3)"
    ).fetchone()
    ev = [f"{decided} of {total} consequential outputs at stages 2 and 3 have a recorded approval"]
    missing = [f"{total - decided} consequential output(s) without a recorded decision"]
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
        summary = con.execute(
            "SELECT summary FROM runs WHERE run_id = ?", [record["run_id"]]
        ).fetchone()
        cov = (
            json.loads(summary[0])["metrics"].get("citation_coverage", {})
            if summary and summary[0]
            else {}
        )
        value = cov.get("value")
        ev.append(f"citation coverage of run {record['run_id']}: "
                  + ("n/a" if value is None else f"{value:.1%} (n = {cov.get('n')})"))  # fmt: skip
        failing = [f for f in record["failing"] if f.startswith("citation")]
        if failing:
            problems.append("the run of record fails " + ", ".join(failing))
    if table_exists(con, "grades"):
        n, supported = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE citations_support) FROM current_grades "
            "WHERE citations_support IS NOT NULL"
        ).fetchone()
        if n:
            ev.append(f"graders found citations supporting {supported} of {n} live outputs")
            if supported < n:
                return _item("Grounding and citations", problems, ev,
                             [f"{n - supported} graded live output(s) with unsupported citations"])  # fmt: skip
        else:
            ev.append("no graded live output judged on its citations")
    return _item("Grounding and citations", problems, ev)


def audit_trail(con: duckdb.DuckDBPyConnection, key: keys.PilotKey | None) -> Item:
    result = audit.verify(con, key=key)
    ev = [f"{result.events} events, " + ("keyed chain verifies" if result.intact and key
                                          else "chain verifies" if result.intact else "BROKEN")]  # fmt: skip
    problems = [] if result.intact else [f"the chain does not verify: {result.reason}"]
    if key is None:
        problems.append("no pilot key: the chain is not keyed")
        return _item("Audit trail", problems, ev)
    path = keys.witness_path(key)
    if not path.exists():
        return _item("Audit trail", [*problems, "no anchor kept outside the database"], ev)
    age = (datetime.now(UTC).timestamp() - path.stat().st_mtime) / 86400
    ev.append(f"newest anchor outside the database is {age:.1f} day(s) old")
    risk = [f"anchor older than {ANCHOR_DAYS} days"] if age > ANCHOR_DAYS else []
    return _item("Audit trail", problems, ev, risk)


def access(con: duckdb.DuckDBPyConnection) -> Item:
    users = con.execute("SELECT name, role FROM users WHERE active").fetchall()
    roles = {r for _, r in users}
    problems = [f"no named {r}" for r in ("admin", "lead", "evaluator") if r not in roles]
    shared = [
        n for n, _ in users if n.lower() in {"shared", "team", "admin", "root", "test", "demo"}
    ]
    if shared:
        problems.append("shared-looking account(s): " + ", ".join(shared))
    now = audit.utc_now()
    expired = con.execute(
        "SELECT count(*) FROM access_tokens WHERE revoked_at IS NULL AND expires_at IS NOT NULL "
        "AND expires_at < ?", [now],
    ).fetchone()[0]  # fmt: skip
    no_expiry = con.execute(
        "SELECT count(*) FROM access_tokens WHERE revoked_at IS NULL AND expires_at IS NULL"
    ).fetchone()[0]
    ev = [f"{len(users)} active named user(s) across roles: {', '.join(sorted(roles)) or 'none'}"]
    risk = []
    if expired:
        risk.append(f"{expired} expired token(s) not revoked")
    if no_expiry:
        risk.append(f"{no_expiry} token(s) that never expire")
    return _item("Role-based access", problems, ev, risk)


def success_criterion(data: dict[str, Any]) -> Item:
    record = data.get("run_of_record")
    if record is None:
        return _item("Written success criterion", ["a signed bar and a run judged against it"], [])
    ev = [f"bar v{record['bar_version']} signed; run of record {record['run_id']} "
          + ("passes" if record["passed"] else f"fails {len(record['failing'])} requirement(s)")]  # fmt: skip
    return _item("Written success criterion", [], ev)


def way_to_stop(con: duckdb.DuckDBPyConnection, data: dict[str, Any]) -> Item:
    who = holders(con)
    kill = state(con)
    ev = [f"kill switch held by {', '.join(n for n, _ in who) or 'nobody'}"]
    problems = [] if who else ["nobody can engage the kill switch"]
    days = _days_since(kill.last_tested)
    if days is None:
        problems.append("the kill switch has never been drilled (`pilot kill --test`)")
    else:
        ev.append(f"last drill {days:.0f} day(s) ago")
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
    con: duckdb.DuckDBPyConnection, data: dict[str, Any], key: keys.PilotKey | None = None
) -> list[dict[str, str]]:
    items = [
        data_boundary(con),
        human_oversight(con, data["stage"]),
        grounding(con, data),
        audit_trail(con, key),
        access(con),
        success_criterion(data),
        way_to_stop(con, data),
    ]
    return [i.as_dict() for i in items]
