"""The gate settings, with their defaults in this one place.

A lead may store other values (`save_settings`, audited, versioned by a counter); the gates read
`gate_settings(con)`, and every promotion records the settings it was judged with.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

import duckdb

from pilot.core import audit
from pilot.core.access import Actor, Who, write_as
from pilot.core.errors import InputError
from pilot.core.store import Store, get_setting, put_setting

KEY = "gate_settings"


@dataclass(frozen=True)
class GateSettings:
    version: int = 0  # 0: the defaults below, never stored
    # 1 → 2: graded live outputs at stage 1, and how well graders agree.
    min_live_graded: int = 50
    min_agreement: float = 0.67  # Krippendorff's alpha; 0.667 is the usual floor
    # 2 → 3: the approval-without-edit rate, per window, over consecutive windows.
    approval_threshold: float = 0.90
    approval_judged_on: str = "lower_bound"
    min_approvals_per_window: int = 30
    approval_windows: int = 2

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def gate_settings(con: duckdb.DuckDBPyConnection) -> GateSettings:
    raw = get_setting(con, KEY)
    return GateSettings(**json.loads(raw)) if raw else GateSettings()


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    known = [f.name for f in fields(GateSettings) if f.name != "version"]
    for name in values:
        if name not in known:
            raise InputError(f"{name}: not a gate setting; use one of {', '.join(known)}")
    merged = {**{k: v for k, v in GateSettings().as_dict().items() if k != "version"}, **values}
    for name in ("min_agreement", "approval_threshold"):
        if not isinstance(merged[name], float) or not 0.0 <= merged[name] <= 1.0:
            raise InputError(f"{name}: a proportion between 0 and 1, got {merged[name]!r}")
    for name in ("min_live_graded", "min_approvals_per_window", "approval_windows"):
        if not isinstance(merged[name], int) or isinstance(merged[name], bool) or merged[name] < 1:
            raise InputError(f"{name}: a whole number of at least 1, got {merged[name]!r}")
    if merged["approval_judged_on"] not in ("point", "lower_bound"):
        raise InputError("approval_judged_on: 'point' or 'lower_bound'")
    return merged


def save_settings(store: Store, user: Who, values: dict[str, Any]) -> GateSettings:
    """Store new gate settings (a lead); unnamed settings keep their current values."""

    def body(con: duckdb.DuckDBPyConnection, actor: Actor) -> GateSettings:
        current = gate_settings(con)
        _checked(values)
        merged = {**current.as_dict(), **values}
        merged.pop("version")
        new = GateSettings(**_checked(merged), version=current.version + 1)
        put_setting(con, KEY, json.dumps(new.as_dict()))
        audit.record_as(con, actor, "readiness.settings", "gate_settings", new.as_dict())
        return new

    return write_as(store, user, "sign", "readiness.settings", "gate_settings", body)
