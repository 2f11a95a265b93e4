"""Promotion, demotion and rollback (who may, when), and monitoring: is the stage at risk?

Only a lead promotes (`sign` permission, checked in the same transaction as the write) and only
when the gate, recomputed inside that transaction, is met; the gate's figures and their SHA-256
go into `stage_changes` and the audit chain. Demotion needs no gate. Rollback (the kill switch's
holders) restores the previous system config version and the stage that went with it.
"""

from __future__ import annotations

from typing import Any

import duckdb

from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store
from pilot.define.criteria import judge_criterion
from pilot.readiness.ladder import Gate, accuracy_criterion, gate, graded_at_stage, rate
from pilot.readiness.settings import gate_settings
from pilot.readiness.stages import (
    STAGES,
    StageChange,
    active_config,
    append_change,
    current_stage,
    history,
    write_stage_file,
)


class GateNotMet(InputError):
    """A promotion asked for without the evidence: exit code 1, the bar is not met."""

    exit_code = 1


def _finish(store: Store, change: StageChange) -> StageChange:
    write_stage_file(store)
    return change


def promote(store: Store, user: Who, reason: str = "") -> StageChange:
    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> StageChange:
        stage = current_stage(con)
        if stage >= 3:
            raise InputError("already at stage 3, the top of the ladder")
        g: Gate = gate(con, stage)
        if not g.met:
            missing = "; ".join(f"{r.name}: {r.missing or r.status}" for r in g.requirements
                                if not r.met)  # fmt: skip
            raise GateNotMet(f"gate {g.name} is not met: {missing}")
        evidence = {"gate": g.as_dict(), "settings": gate_settings(con).as_dict()}
        return append_change(con, actor, "promote", stage + 1, active_config(con),
                             reason.strip() or f"gate {g.name} met", evidence)  # fmt: skip

    return _finish(store, write_as(store, user, "sign", "stage.promote", "stage", body))


def demote(store: Store, user: Who, reason: str, to_stage: int | None = None) -> StageChange:
    if not reason.strip():
        raise InputError("--reason: say why the stage is lowered")

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> StageChange:
        stage = current_stage(con)
        target = stage - 1 if to_stage is None else to_stage
        if not 0 <= target < stage:
            raise InputError(f"--to {target}: demotion goes below the current stage {stage}")
        return append_change(con, actor, "demote", target, active_config(con), reason.strip())

    return _finish(store, write_as(store, user, "sign", "stage.demote", "stage", body))


def rollback_target(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The previous config version in production and the stage it last held there (a change
    to stage 0 took it out of production, so it is passed over), if one exists."""
    current = active_config(con)
    for change in reversed(history(con)):
        if change.config_version and change.config_version != current and change.to_stage > 0:
            return {"config_version": change.config_version, "stage": change.to_stage}
    return None


def rollback(store: Store, user: Who, reason: str) -> StageChange:
    if not reason.strip():
        raise InputError("--reason: say why the system is rolled back")

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> StageChange:
        target = rollback_target(con)
        if target is None:
            raise InputError("no previous system config version to roll back to")
        return append_change(con, actor, "rollback", target["stage"], target["config_version"],
                             reason.strip(), {"from_config": active_config(con), **target})  # fmt: skip

    return _finish(store, write_as(store, user, "kill", "stage.rollback", "stage", body))


def monitoring(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """At risk when, at stage 1 or above, the latest graded window's live accuracy is below the
    bar or a critical error was graded in it."""
    stage = current_stage(con)
    weeks = [w for s in (1, 2, 3) for w in graded_at_stage(con, s)]
    latest_week = max((w[0] for w in weeks), default=None)
    reasons: list[str] = []
    figures: dict[str, Any] = {"window": latest_week}
    if latest_week is not None:
        n = sum(w[1] for w in weeks if w[0] == latest_week)
        k = sum(w[2] for w in weeks if w[0] == latest_week)
        critical = sum(w[3] for w in weeks if w[0] == latest_week)
        figures |= {"graded": n, "correct": k, "critical_errors": critical}
        crit = accuracy_criterion(con)
        if crit is not None:
            r = judge_criterion(crit, rate(k, n))
            figures |= {"accuracy": r.value, "low": r.low, "high": r.high,
                        "threshold": crit.threshold, "judged_on": crit.judged_on}  # fmt: skip
            if not r.passed:
                reasons.append(f"live accuracy in {latest_week} is below the bar "
                               f"({k} of {n} correct)")  # fmt: skip
        if critical:
            reasons.append(f"{critical} critical error(s) graded in {latest_week}")
    at_risk = stage >= 1 and bool(reasons)
    return {"stage": stage, "stage_name": STAGES[stage], "at_risk": at_risk,
            "reasons": reasons if stage >= 1 else [], "latest_window": figures}  # fmt: skip
