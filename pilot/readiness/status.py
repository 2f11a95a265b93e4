"""Everything `pilot readiness --json`, the Readiness page and Home show, computed once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from pilot.core import keys
from pilot.core.access import Who, can, find_actor, require
from pilot.readiness import ladder
from pilot.readiness.decisions import monitoring, rollback_target
from pilot.readiness.ladder import all_gates
from pilot.readiness.record import record_to_show
from pilot.readiness.scorecard import scorecard
from pilot.readiness.settings import gate_settings
from pilot.readiness.stages import MEANING, STAGES, active_config, current_stage, history
from pilot.readiness.steps import Known, Step, pilot_steps


def readiness(
    con: duckdb.DuckDBPyConnection,
    user: Who,
    key: keys.PilotKey | None = None,
    now: datetime | None = None,
    through: int | None = None,
) -> dict[str, Any]:
    """The stage, whether it is at risk, the run of record, every gate with its figures, the
    scorecard, the history of stage changes; `user` must be allowed to read. `now` and
    `through` fix the scorecard's moment (see `scorecard.scorecard`)."""
    require(con, user, "read")
    watch = monitoring(con)
    stage = watch["stage"]
    gates = [g.as_dict() for g in all_gates(con)]
    config = active_config(con)
    record = record_to_show(con)  # the same run Home's verdict and Results speak for
    data: dict[str, Any] = {
        "stage": stage,
        "stage_name": STAGES[stage],
        "stage_meaning": MEANING[stage],
        "at_risk": watch["at_risk"],
        "risk_reasons": watch["reasons"],
        "latest_window": watch["latest_window"],
        "active_config": config,
        "run_of_record": record.as_dict() if record else None,
        "gates": gates,
        "next_gate": gates[stage] if stage < 3 else None,
        "rollback_target": rollback_target(con),
        "settings": gate_settings(con).as_dict(),
        "history": [c.as_dict() for c in history(con)],
    }
    data["scorecard"] = scorecard(con, data, key, now, through)
    actor = find_actor(con, user)
    return data if actor is not None and actor.can("read_grades") else blind(data)


HIDDEN = "hidden: evaluators grade blind and do not see other people's grades"
LIVE_ITEMS = ("Human oversight", "Grounding and citations")
"""Scorecard items whose evidence is counted from graded live outputs."""


def blind(data: dict[str, Any]) -> dict[str, Any]:
    """`readiness` as a role that grades blind sees it: whether each live gate and item is met,
    never the graded figures behind it (live accuracy, counts, critical errors, approvals)."""

    def hide(r: dict[str, Any]) -> dict[str, Any]:
        return r | {"value": None, "low": None, "high": None, "n": 0,
                    "evidence": HIDDEN, "missing": HIDDEN if r["missing"] else ""}  # fmt: skip

    gates = [g if g["from_stage"] == 0 else g | {"requirements": [hide(r) for r in g["requirements"]]}
             for g in data["gates"]]  # fmt: skip
    stage = data["stage"]
    return data | {
        "risk_reasons": [HIDDEN] if data["at_risk"] else [],
        "latest_window": None,
        "gates": gates,
        "next_gate": gates[stage] if stage < 3 else None,
        "scorecard": [
            i | {"evidence": HIDDEN, "missing": HIDDEN if i["missing"] else ""}
            if i["name"] in LIVE_ITEMS
            else i
            for i in data["scorecard"]
        ],  # fmt: skip
    }


def home_truth(con: duckdb.DuckDBPyConnection, known: Known | None = None) -> dict[str, Any]:
    """What Home says in a few lines: the run of record's verdict, which criteria fail, the
    stage (at risk or not) and what the next gate still needs. `known` shares the reads with
    Home's checklist (`steps.pilot_steps`)."""
    known = known or Known(con)
    watch = known.watch
    stage = watch["stage"]
    record = known.record
    if record is None:
        verdict = "No run of record yet: run the golden set against the signed bar."
    elif record.passed:
        verdict = f"Run of record {record.run_id} passes the signed bar v{record.bar_version}."
    else:
        verdict = (
            f"Run of record {record.run_id} does NOT pass bar v{record.bar_version}: "
            + ", ".join(record.failing)
            + " fail."
        )
    gate = ladder.gate(con, stage) if stage < 3 else None  # the next gate alone
    if gate is None:
        next_gate = "At the top of the ladder."
    elif gate.met:
        next_gate = f"Gate {gate.name} is met: a lead may promote."
    else:
        needs = [f"{r.name} ({r.missing})" if r.missing else r.name
                 for r in gate.requirements if not r.met]  # fmt: skip
        next_gate = f"Gate {gate.name} needs: " + "; ".join(needs)
    return {
        "stage": stage,
        "stage_line": f"Stage {stage} · {STAGES[stage]}: {MEANING[stage]}",
        "at_risk": watch["at_risk"],
        "risk_reasons": watch["reasons"],
        "verdict": verdict,
        "passed": bool(record and record.passed),
        "next_gate": next_gate,
    }


def home_view(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, Any], list[Step]]:
    """Home's verdict (`home_truth`) and checklist (`steps.pilot_steps`), asking the stage,
    its monitoring and the run of record once for both."""
    known = Known(con)
    return home_truth(con, known), pilot_steps(con, known)


def risk_banner(con: duckdb.DuckDBPyConnection, role: str) -> str | None:
    """The line every page shows while the stage is at risk, None otherwise. Roles that grade
    blind (no `read_grades`) get the fact without the graded figures behind it."""
    if current_stage(con) == 0:
        return None  # nothing in production: monitoring never puts stage 0 at risk
    watch = monitoring(con)
    if not watch["at_risk"]:
        return None
    head = f"Stage {watch['stage']} · {watch['stage_name']} is AT RISK"
    if not can(role, "read_grades"):
        return f"{head}: see 6 · Readiness."
    return f"{head}: {'; '.join(watch['reasons'])}. See 6 · Readiness."
